"""Reading schedules, their doctors' event seqs, and colleagues' slots from the database.

Loads refresh objects the session may still hold (`populate_existing`): a session lives
across batches, and the database, not an old object, is the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from allocator.adapters.orm import any_of, doctors, slots, token_counters
from allocator.domain.model import Doctor, Slot
from allocator.domain.policy import Policy
from allocator.domain.schedule import Schedule

__all__ = ["colleague_slots", "event_seqs", "load_schedule", "load_slots"]

FRESH = {"populate_existing": True}


async def load_schedule(session: AsyncSession, doctor_id: int, today: dt.date,
                        also_slots: Collection[int],
                        policy: Policy) -> tuple[Schedule, int] | None:
    """The doctor with every slot from today on (plus `also_slots`), tokens and counters
    included, and the doctor's last event seq; None if there is no such doctor."""
    row = (await session.execute(
        select(Doctor, doctors.c.last_event_seq).where(doctors.c.id == doctor_id)
        .execution_options(**FRESH))).first()
    if row is None:
        return None
    found = await session.scalars(
        select(Slot)
        .where(slots.c.doctor_id == doctor_id,
               or_(slots.c.date >= today, slots.c.id == any_of("also", also_slots)))
        .options(selectinload(Slot.tokens))  # type: ignore[arg-type]
        .execution_options(**FRESH))
    counters = await session.execute(
        select(token_counters.c.date, token_counters.c.last_number)
        .where(token_counters.c.doctor_id == doctor_id))
    schedule = Schedule(row[0], {s.id: s for s in found}, {d: n for d, n in counters},
                        policy=policy)
    return schedule, int(row[1])


async def load_slots(session: AsyncSession, doctor_id: int,
                     slot_ids: Collection[int]) -> list[Slot]:
    """Those of `slot_ids` that are the doctor's (an earlier day's slot, say), with tokens."""
    return list(await session.scalars(
        select(Slot)
        .where(slots.c.doctor_id == doctor_id, slots.c.id == any_of("ids", slot_ids))
        .options(selectinload(Slot.tokens))  # type: ignore[arg-type]
        .execution_options(**FRESH)))


async def event_seqs(session: AsyncSession, doctor_ids: Collection[int]) -> dict[int, int]:
    """Each doctor's last event seq as committed (one query for many doctors)."""
    rows = await session.execute(select(doctors.c.id, doctors.c.last_event_seq)
                                 .where(doctors.c.id == any_of("ids", doctor_ids)))
    return {doctor_id: int(seq) for doctor_id, seq in rows}


async def colleague_slots(session: AsyncSession, specialization: str, today: dt.date,
                          limit: int = 50) -> list[Slot]:
    """Slots with room of the doctors of one specialization, soonest first, as detached
    copies: alternatives to offer, never records to change."""
    rows = await session.execute(
        select(slots).join(doctors, doctors.c.id == slots.c.doctor_id)
        .where(doctors.c.specialization == specialization, slots.c.date >= today,
               slots.c.is_active, slots.c.current_count < slots.c.max_capacity)
        .order_by(slots.c.date, slots.c.start_time, slots.c.id).limit(limit))
    return [Slot(**row._mapping) for row in rows]
