"""Quiet hours: nothing is sent between `start` and `end` (local time; may span midnight).
A message due then is held until `end`, not dropped: a patient told at 07:00 about a
09:00 slot is still helped."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["held_until"]


def held_until(now: dt.datetime, start: dt.time | None, end: dt.time | None,
               timezone: str) -> dt.datetime | None:
    """When a message due at `now` may go, if quiet hours hold it; None if it may go now."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    clock = local.time().replace(tzinfo=None)
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, local.tzinfo).astimezone(dt.UTC)
