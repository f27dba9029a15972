"""A doctor's day as the read model knows it: slots, their queues, pace and estimated waits.

One place builds it, so the staff's day view, a slot's queue, a patient's position and
the waiting-hall boards all agree on positions and waits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from queue_view.models import Slot, Token
from queue_view.queries import consultation_spans, list_slots, live_tokens
from queue_view.waits import Pace, consultation_minutes, pace_of, planned_minutes, wait_minutes

__all__ = ["DoctorDay", "InLine", "SlotDay", "doctor_day", "slot_day"]


@dataclass(frozen=True)
class InLine:
    """A live token in its slot's queue; position 1 is the one consulting or next."""

    token: Token
    position: int
    estimated_wait_minutes: int

    @property
    def ahead(self) -> int:
        return self.position - 1


@dataclass(frozen=True)
class SlotDay:
    slot: Slot
    pace: Pace
    queue: list[InLine]


@dataclass(frozen=True)
class DoctorDay:
    doctor_id: int
    date: dt.date
    slots: list[SlotDay]

    def find(self, token_id: int) -> InLine | None:
        return next((entry for day in self.slots for entry in day.queue
                     if entry.token.id == token_id), None)


def _in_line(tokens: Sequence[Token], pace: Pace) -> list[InLine]:
    return [InLine(token, position, wait_minutes(position - 1, pace))
            for position, token in enumerate(tokens, start=1)]


async def doctor_day(session: AsyncSession, doctor_id: int, date: dt.date) -> DoctorDay:
    """Every slot of the doctor on `date` with its queue; the pace is measured across the
    whole day once any consultation of that day is completed."""
    slots = await list_slots(session, doctor_id, date)
    ids = [slot.id for slot in slots]
    measured = consultation_minutes(await consultation_spans(session, ids)) if ids else []
    by_slot: dict[int, list[Token]] = defaultdict(list)
    for token in await live_tokens(session, ids) if ids else []:
        by_slot[token.slot_id].append(token)
    days = []
    for slot in slots:
        planned = planned_minutes(slot.start_time, slot.end_time, slot.max_capacity)
        pace = pace_of(planned, measured)
        days.append(SlotDay(slot, pace, _in_line(by_slot[slot.id], pace)))
    return DoctorDay(doctor_id, date, days)


async def slot_day(session: AsyncSession, slot: Slot) -> SlotDay:
    day = await doctor_day(session, slot.doctor_id, slot.date)
    return next(found for found in day.slots if found.slot.id == slot.id)
