"""Which text a command accepts: every character but Unicode's control characters (general
category Cc), tab and newline excepted; the same set, character for character, however the
check is made."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from pydantic import TypeAdapter, ValidationError

from opd_contracts.commands import Name, Room, Text

TEXT = TypeAdapter(Text)
# Every code point a str may hold but the lone surrogates, which are no text at all
# (pydantic refuses them before any check of ours).
CHARACTERS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def _refused(text: str) -> bool:
    try:
        TEXT.validate_python(text)
    except ValidationError:
        return True
    return False


def test_exactly_the_control_characters_but_tab_and_newline_are_refused_anywhere():
    control = {c for c in CHARACTERS if unicodedata.category(c) == "Cc" and c not in "\t\n"}

    refused = {c for c in CHARACTERS if _refused(f"a{c}b")}

    assert refused == control
    assert len(control) == 63  # C0 but tab and newline, DEL, C1


@pytest.mark.parametrize("kind", [Name, Room, Text])
@pytest.mark.parametrize("text", ["\x00", "Asha\x00", "\x1b[31mred", "x\x7f", "x\x85end",
                                  "Dr.\rSmith"])
def test_a_name_room_or_note_with_a_control_character_is_refused(kind, text):
    with pytest.raises(ValidationError, match="must not contain control characters"):
        TypeAdapter(kind).validate_python(text)


@pytest.mark.parametrize("text", ["Asha Verma", "Dr. Sarah Johnson", "line\nnext\tcol",
                                  "டாக்டர் ராமன்", "Ünïcödé ✓", "\u00a0x", "emoji 🙂"])
def test_a_note_without_control_characters_is_kept(text):
    assert TEXT.validate_python(text) == text.strip()
