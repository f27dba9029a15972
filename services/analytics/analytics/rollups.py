"""What one token or slot adds to each roll-up. Pure: no database, no pydantic.

The projection keeps every roll-up equal to the sum of `contributions` over the current
rows, by applying `delta(new, old)` whenever a row changes; the benchmark loader sums the
same function over its final rows, so both build the same roll-ups by construction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from opd_contracts.vocabulary import HOLDS_PLACE, MoveKind, TokenStatus

__all__ = [
    "MOVE_KINDS",
    "STATUSES",
    "WAIT_METRICS",
    "Delta",
    "add_delta",
    "delta",
    "move_kind",
    "rollups_of",
    "slot_contributions",
    "token_contributions",
    "wait_minutes",
]

# (table, key, column) -> how much to add
Delta = Counter[tuple[str, tuple[Any, ...], str]]
Row = Mapping[str, Any]

STATUSES = tuple(status.value for status in TokenStatus)  # the reports' columns, in order
WAIT_METRICS: dict[str, tuple[str, str]] = {
    "booked_to_check_in": ("allocated_at", "checked_in_at"),
    "check_in_to_start": ("checked_in_at", "consultation_started_at"),
    "booked_to_start": ("allocated_at", "consultation_started_at"),
    "consultation": ("consultation_started_at", "completed_at"),
}
# The allocator's `MoveKind` in the moves report's words, and the report's order.
REPORT_WORDS: dict[MoveKind, str] = {MoveKind.DELAY: "doctor_delay"}
MOVE_KINDS = tuple(sorted(REPORT_WORDS.get(kind, kind.value) for kind in MoveKind))


def wait_minutes(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    """Whole minutes below an hour, 5 minutes below 3 h, half hours below a day, days beyond.

    Coarser as waits grow, so that a month's histogram stays a few thousand rows even with
    advance-booking lead times of days; a median of 1018.5 minutes needs no finer grain.
    """
    if start is None or end is None:
        return None
    minutes = max((end - start).total_seconds(), 0) / 60
    step = 1 if minutes < 60 else 5 if minutes < 180 else 30 if minutes < 1440 else 1440
    return math.floor(minutes / step) * step


def move_kind(named: MoveKind | None) -> str:
    """The report's word for the allocator's own: every move event carries one (history
    from before it did was stamped by the allocator's migration 0005)."""
    kind = named or MoveKind.REALLOCATION
    return REPORT_WORDS.get(kind, kind.value)


def token_contributions(row: Row, zone: ZoneInfo) -> Delta:
    """Arrivals count by booking time; everything else on the slot's day, once it is known.

    Counts go twice: per doctor (for filters) and for the whole hospital (few rows to read).
    Every key below is set once (no two of them are equal), so each is assigned, not added
    to: reading a missing key of a Counter costs a call of `__missing__` (issue #13).
    """
    counts: Delta = Counter()
    doctor, source, booked = row["doctor_id"], row["source"], row["allocated_at"].astimezone(zone)
    counts["hourly_arrivals", (doctor, booked.date(), booked.hour), source] = 1
    counts["hospital_arrivals", (booked.date(), booked.hour), source] = 1
    day = row["day"]
    if day is None:
        return counts
    for table, key in (("daily_tokens", (doctor, day, source)), ("hospital_tokens", (day, source))):
        counts[table, key, row["status"]] = 1
        counts[table, key, "emergencies"] = int(row["is_emergency"])
        counts[table, key, "overflows"] = int(row["is_overflow"])
    if row["status"] in HOLDS_PLACE:
        counts["daily_capacity", (doctor, day), "held"] = 1
    _wait_contributions(counts, row, day)
    return counts


def _wait_contributions(counts: Delta, row: Row, day: dt.date) -> None:
    """Hospital-wide, and per specialization once the token's doctor is known."""
    source, specialization = row["source"], row["specialization"]
    for metric in WAIT_METRICS:
        minutes = row[metric]
        if minutes is None:
            continue
        counts["daily_waits", (day, source, metric, minutes), "tokens"] = 1
        if specialization is not None:
            counts["specialty_waits", (specialization, day, source, metric, minutes),
                   "tokens"] = 1


def slot_contributions(row: Row) -> Delta:
    counts: Delta = Counter()
    if row["is_active"]:
        key = (row["doctor_id"], row["date"])
        counts["daily_capacity", key, "slots"] = 1
        counts["daily_capacity", key, "capacity"] = row["max_capacity"]
    return counts


def delta(new: Delta, old: Delta) -> Delta:
    """new minus old, keeping negatives (Counter's `-` would drop them) and dropping zeros."""
    change: Delta = Counter()
    add_delta(change, new, old)
    return change


def add_delta(total: Delta, new: Mapping[Any, int], old: Mapping[Any, int]) -> None:
    """`total.update(delta(new, old))` without building the delta: each key whose count
    changed gets the change (a key that ends at zero stays, as `update` leaves it)."""
    for key, n in new.items():
        if change := n - old.get(key, 0):
            total[key] = total.get(key, 0) + change
    for key, n in old.items():
        if n and key not in new:
            total[key] = total.get(key, 0) - n


def rollups_of(tokens: Iterable[Row], slots: Iterable[Row], zone: ZoneInfo) -> Delta:
    """Every roll-up count, computed from scratch from the current rows."""
    total: Delta = Counter()
    for token in tokens:
        total.update(token_contributions(token, zone))
    for slot in slots:
        total.update(slot_contributions(slot))
    return Counter({key: n for key, n in total.items() if n})
