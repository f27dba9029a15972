"""A doctor running late: who no longer fits today's remaining time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from allocator.domain.model import Slot, Token
from allocator.domain.priority import queue_order

__all__ = ["no_longer_fit"]


def no_longer_fit(today: Iterable[Slot], minutes_late: int, now: dt.datetime) -> list[Token]:
    """Waiting tokens, in queue order across today's remaining slots, whose consultation would
    end after the day's last slot once the doctor is `minutes_late`. Each patient takes their
    slot's length divided by its places."""
    local = now.replace(tzinfo=None)
    remaining = [s for s in sorted(today, key=lambda s: s.starts_at) if not s.is_over(local)]
    budget = sum((s.ends_at - max(s.starts_at, local)).total_seconds() / 60 for s in remaining)
    budget -= minutes_late
    late: list[Token] = []
    for slot in remaining:
        for token in (t for t in queue_order(slot.tokens) if t.is_waiting):
            budget -= slot.minutes_per_patient
            if budget < -1e-9:
                late.append(token)
    return late
