"""Text about a failure, fit for logs and dead-letter headers: no patient's name or phone.

Our own messages name ids, never patients. The text that is not ours is what leaks: pydantic
quotes the input it refused (`input_value='Asha Rao'`), asyncpg quotes the argument it could
not encode, PostgreSQL's DETAIL shows the failing row, and a record's repr shows its fields.
`redact` blanks those places and keeps the rest (class names, columns, constraint names,
ids), so an operator still sees what failed, and where.
"""

from __future__ import annotations

import re

__all__ = ["PERSONAL_FIELDS", "redact"]

PERSONAL_FIELDS = ("patient_name", "patient_phone", "notes", "abha_number")
HIDDEN = "…"
_FIELD = "|".join(PERSONAL_FIELDS)
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""

_RULES: list[tuple[re.Pattern[str], str]] = [
    # pydantic: everything it echoes of the input, whatever its type
    (re.compile(r"input_value=.*?(?=, input_type=)", re.S), f"input_value={HIDDEN}"),
    # PostgreSQL: the failing row, or the key's values
    (re.compile(r"DETAIL:.*"), f"DETAIL: {HIDDEN}"),
    # a personal field's value in a repr, a dict or JSON, quoted or not
    (re.compile(rf"(['\"]?(?:{_FIELD})['\"]?\s*[=:]\s*)(?:{_QUOTED}|[^,)}}\]\s]+)"),
     rf"\1{HIDDEN}"),
]
_QUOTE = re.compile(_QUOTED)
# A lower-case word in quotes is a table, column, constraint or routing key: kept.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_.]*")
# Phone-like: 8 or more digits in one run of digits, spaces, brackets and dashes; not
# inside an id (a UUID, a token number) and not a date.
_DIGITS = re.compile(r"(?<![\w-])\+?\d[\d ()-]{6,}\d(?![\w-])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _unquote(match: re.Match[str]) -> str:
    text = match.group()
    return text if _IDENTIFIER.fullmatch(text[1:-1]) else f"'{HIDDEN}'"


def _undigit(match: re.Match[str]) -> str:
    text = match.group()
    if _DATE.search(text) or sum(c.isdigit() for c in text) < 8:
        return text
    return HIDDEN


def redact(text: str) -> str:
    """`text` with quoted values, phone-like numbers and echoed inputs blanked."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _DIGITS.sub(_undigit, _QUOTE.sub(_unquote, text))
