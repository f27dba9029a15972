"""Estimated waits: how long a patient will wait, from the queue ahead and the doctor's pace.

Pace (minutes per patient) is planned until the doctor's day shows otherwise:
- planned: the slot's length / its capacity (a 60-minute slot of 12 places is 5 minutes);
- measured: once the doctor has completed consultations on that date, the median of
  their durations (consultation_started_at -> completed_at; those under a minute are
  not consultations and are left out); the median, because one long case should not
  move every estimate in the hall.

A waiting patient's estimate is `ahead x pace`, rounded up to whole minutes, where `ahead`
counts the live tokens before it in its slot's queue, the one consulting included (a
consultation under way is counted whole, so estimates err on the long side and do not
depend on the clock: they change only when the queue does). Waits are counted from the
start of the slot, or from now when the slot is under way. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Basis", "Pace", "consultation_minutes", "pace_of", "planned_minutes", "wait_minutes"]

Basis = Literal["planned", "measured"]
MIN_CONSULTATION_MINUTES = 1.0


@dataclass(frozen=True)
class Pace:
    minutes_per_patient: float
    basis: Basis


def planned_minutes(start: dt.time, end: dt.time, max_capacity: int) -> float:
    """The slot's length shared equally among its places."""
    day = dt.date(2000, 1, 1)
    length = dt.datetime.combine(day, end) - dt.datetime.combine(day, start)
    return length.total_seconds() / 60 / max(max_capacity, 1)


def consultation_minutes(
    spans: Iterable[tuple[dt.datetime | None, dt.datetime | None]],
) -> list[float]:
    """Durations of finished consultations. Spans missing either end are skipped, and so
    are those under a minute: a patient called and completed at once (a call-next past
    someone who had left, a slip of the finger) tells nothing about the doctor's pace."""
    minutes = [(end - start).total_seconds() / 60 for start, end in spans
               if start is not None and end is not None]
    return [m for m in minutes if m >= MIN_CONSULTATION_MINUTES]


def pace_of(planned: float, measured: list[float]) -> Pace:
    if measured:
        return Pace(round(statistics.median(measured), 2), "measured")
    return Pace(round(planned, 2), "planned")


def wait_minutes(ahead: int, pace: Pace) -> int:
    # Up, not to nearest: a display that promises 7 minutes and takes 8 loses trust.
    # The small tolerance keeps float noise (3 x 5.0000001) from adding a minute.
    return math.ceil(ahead * pace.minutes_per_patient - 1e-6)
