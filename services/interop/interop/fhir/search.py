"""FHIR search parameters as HIS integrations send them, read into plain values.

Supported, and refused with 400 otherwise (never silently ignored, which would answer a
narrower question with a wider result): references as `Type/id` or `id`, dates as
`[prefix]YYYY-MM-DD[Thh:mm...]` (the day is what counts), tokens as `[system|]code`,
`_count` (1-100), and where to continue as the Bundle's `next` link gives it: `_offset` for
the lists interop holds whole (doctors, slots), `_cursor` for Appointment, whose day can be
long and is paged by queue-view itself (an offset there would serve a token twice, or never,
when one is booked or cancelled between two pages).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from interop.fhir.answers import FhirError

__all__ = ["CURSOR", "DayFilter", "Page", "bad_cursor", "cursor", "day_filter", "page",
           "reference_id", "token_param"]

_PREFIXES: dict[str, Callable[[dt.date, dt.date], bool]] = {
    "eq": operator.eq, "ge": operator.ge, "gt": operator.gt, "le": operator.le,
    "lt": operator.lt}
COUNT_DEFAULT, COUNT_MAX, OFFSET_MAX = 20, 100, 100_000
CURSOR = "_cursor"
_CURSOR_TEXT = re.compile(r"[A-Za-z0-9_-]{1,512}")  # what queue-view's cursors are made of


@dataclass(frozen=True)
class DayFilter:
    prefix: str
    day: dt.date

    def matches(self, day: dt.date) -> bool:
        return _PREFIXES[self.prefix](day, self.day)

    @property
    def exact(self) -> dt.date | None:
        return self.day if self.prefix == "eq" else None


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def _bad(name: str, why: str) -> FhirError:
    return FhirError(400, f"search parameter {name}: {why}", "bad_request")


def reference_id(name: str, value: str | None, kind: str) -> int | None:
    if value is None:
        return None
    tail = value.removeprefix(f"{kind}/")
    if not tail.isascii() or not tail.isdigit() or not 0 < int(tail) < 2**63:
        raise _bad(name, f"give {kind}/<id> or <id>, not {value!r}")
    return int(tail)


def day_filter(name: str, values: list[str]) -> list[DayFilter]:
    found = []
    for value in values:
        prefix = value[:2] if value[:2] in _PREFIXES else "eq"
        text = value[2:] if value[:2] in _PREFIXES else value
        try:
            found.append(DayFilter(prefix, dt.date.fromisoformat(text[:10])))
        except ValueError:
            raise _bad(name, f"give [eq|ge|gt|le|lt]YYYY-MM-DD, not {value!r}") from None
    return found


def token_param(value: str | None) -> tuple[str | None, str] | None:
    if value is None:
        return None
    system, bar, code = value.rpartition("|")
    return (system or None) if bar else None, code


def page(count: str | None, offset: str | None) -> Page:
    def number(name: str, text: str | None, default: int, low: int, high: int) -> int:
        if text is None:
            return default
        if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
            raise _bad(name, f"a whole number from {low} to {high}")
        return int(text)

    return Page(number("_count", count, COUNT_DEFAULT, 1, COUNT_MAX),
                number("_offset", offset, 0, 0, OFFSET_MAX))


def cursor(value: str | None) -> str | None:
    """Where an Appointment search continues: opaque, as its Bundle's `next` link gave it
    (queue-view's cursor, passed on; queue-view refuses one it did not give out)."""
    if value is not None and not _CURSOR_TEXT.fullmatch(value):
        raise bad_cursor()
    return value


def bad_cursor() -> FhirError:
    return _bad(CURSOR, "not one this search gave out; follow the Bundle's next link as "
                        "given, or leave it out for the first page")
