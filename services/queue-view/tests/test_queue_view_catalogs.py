"""The message catalogs: every language has every message, with the same placeholders, and
the formats follow the locale."""

from __future__ import annotations

import datetime as dt
import json
import re

from queue_view.i18n import CATALOGS, LANGUAGES, choose, messages


def _catalog(lang: str) -> dict[str, str]:
    return json.loads((CATALOGS / f"{lang}.json").read_text("utf-8"))


def test_every_catalog_has_every_message_with_the_same_placeholders() -> None:
    english = _catalog("en")
    holes = {key: set(re.findall(r"\{(\w+)\}", text)) for key, text in english.items()}

    for lang in LANGUAGES:
        catalog = _catalog(lang)
        assert set(catalog) == set(english), lang
        assert {k: set(re.findall(r"\{(\w+)\}", t)) for k, t in catalog.items()} == holes, lang
        assert all(text.strip() for text in catalog.values()), lang


def test_there_are_english_hindi_and_tamil_and_the_others_differ_from_english() -> None:
    assert set(LANGUAGES) >= {"en", "hi", "ta"}
    english = _catalog("en")
    for lang in ("hi", "ta"):
        same = [k for k, v in _catalog(lang).items()
                if v == english[k] and not k.startswith("_") and k != "time_window"]
        assert same == [], lang


def test_a_language_is_chosen_by_the_url_else_the_setting_and_unknown_ones_fall_back() -> None:
    assert choose("hi,en") == ["hi", "en"]
    assert choose(None, "ta") == ["ta"]
    assert choose("xx", "hi") == ["hi"]
    assert choose("'><script>", "zz") == ["en"]


def test_times_and_numbers_are_formatted_for_the_locale() -> None:
    english = messages("en").time(dt.time(14, 5))
    assert english.startswith("2:05") and english.endswith("PM")
    assert messages("hi").time(dt.time(14, 5)).endswith("pm")
    assert messages("en").number(123456) == "1,23,456"  # Indian grouping
    assert messages("hi")("minutes", minutes=5) == "5 मिनट"
