"""An emergency into a full slot: someone who can wait longer makes room."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from allocator.domain.model import Slot, Token
from opd_contracts.vocabulary import Source

__all__ = ["bump_candidate"]


def bump_candidate(slot: Slot, doctor_slots: Iterable[Slot],
                   now: dt.datetime) -> tuple[Token, Slot] | None:
    """The latest, lowest-priority waiting walk-in of `slot`, and the doctor's next slot with
    room for them; None when either is missing (the emergency then overflows)."""
    local = now.replace(tzinfo=None)
    walk_ins = [t for t in slot.tokens
                if t.is_waiting and t.source is Source.WALK_IN and not t.is_emergency]
    later = sorted((s for s in doctor_slots if s.starts_at > slot.starts_at
                    and s.is_active and s.has_room and not s.is_over(local)),
                   key=lambda s: s.starts_at)
    if not walk_ins or not later:
        return None
    return max(walk_ins, key=lambda t: (-t.priority_score, t.sequence_number)), later[0]
