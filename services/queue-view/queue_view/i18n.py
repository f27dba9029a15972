"""The waiting hall and the patient's page in the patient's language.

Translations live in message catalogs (`catalogs/{lang}.json`, one per language, the same
keys in each: `test_every_catalog_has_every_message` holds that), not in code. JSON rather
than gettext .mo files because the kiosk display renders in the browser and loads the same
catalog (`/i18n/{lang}.json`), so one file serves the server-rendered patient page and the
display alike, with no compile step. Numbers, dates and times are formatted for the locale
by Babel here (CLDR data) and by the browser's `Intl` on the display.

A language is chosen by `?lang=` (the first of a comma list; a display may name two, and
its announcements alternate between them), else the `OPD_DISPLAY_LANGUAGES` setting. An
unknown code falls back to the default rather than failing: a kiosk misconfigured by one
letter still shows the queue.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

__all__ = ["CATALOGS", "LANGUAGES", "Messages", "choose", "messages"]

CATALOGS = Path(__file__).parent / "catalogs"
LANGUAGES = tuple(sorted(p.stem for p in CATALOGS.glob("*.json")))  # en, hi, ta
DEFAULT = "en"


@functools.cache
def _catalog(lang: str) -> dict[str, str]:
    catalog: dict[str, str] = json.loads((CATALOGS / f"{lang}.json").read_text("utf-8"))
    return catalog


@dataclass(frozen=True)
class Messages:
    """One language's messages and formats."""

    lang: str

    @property
    def locale(self) -> str:
        return _catalog(self.lang)["_locale"]

    @property
    def speech(self) -> str:
        """The BCP 47 tag a speech synthesizer is asked for (hi-IN)."""
        return _catalog(self.lang)["_speech"]

    def __call__(self, key: str, **values: object) -> str:
        text = _catalog(self.lang).get(key) or _catalog(DEFAULT)[key]
        return text.format(**values) if values else text

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def time(self, value: dt.time | dt.datetime) -> str:
        return format_time(value, "short", locale=self.locale)

    def date(self, value: dt.date) -> str:
        return format_date(value, "medium", locale=self.locale)


def choose(asked: str | None, default: str = DEFAULT) -> list[str]:
    """The languages asked for (`hi,en`), known ones only, else the default's."""
    wanted = [code.strip().lower() for code in (asked or "").split(",") if code.strip()]
    known = [code for code in wanted if code in LANGUAGES]
    return known or [code for code in default.split(",") if code in LANGUAGES] or [DEFAULT]


def messages(lang: str) -> Messages:
    return Messages(lang if lang in LANGUAGES else DEFAULT)
