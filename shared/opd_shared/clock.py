"""The hospital's wall clock, for answers that depend on the local day."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

__all__ = ["seconds_until_local_midnight"]


def seconds_until_local_midnight(timezone: str, now: dt.datetime | None = None) -> int:
    """How long a daily quota stays used up: until the next day starts in the hospital."""
    here = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone))
    midnight = dt.datetime.combine(here.date() + dt.timedelta(days=1), dt.time(),
                                   tzinfo=here.tzinfo)
    # Subtracted in UTC: two times of one zone subtract as wall clocks, wrong on DST days.
    return max(1, math.ceil((midnight.astimezone(dt.UTC) - here.astimezone(dt.UTC))
                            .total_seconds()))
