"""Where to send a patient whose slot is full."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from allocator.domain.model import Slot

__all__ = ["rank_alternatives"]


def rank_alternatives(candidates: Iterable[Slot], doctor_id: int, now: dt.datetime,
                      limit: int = 5) -> list[Slot]:
    """Open slots with room: the same doctor's first, then colleagues', soonest first;
    never a slot that is already over."""
    local = now.replace(tzinfo=None)
    usable = [s for s in candidates if s.is_active and s.has_room and not s.is_over(local)]
    usable.sort(key=lambda s: (s.doctor_id != doctor_id, s.starts_at, s.id))
    return usable[:limit]
