"""Reading schedules, their doctors' event seqs, and colleagues' slots from the database.

Loads refresh objects the session may still hold (`populate_existing`): a session lives
across batches, and the database, not an old object, is the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from allocator.adapters.driver_calls import DriverConnection
from allocator.adapters.orm import any_of, doctors, slots, token_counters
from allocator.domain.model import Doctor, Slot
from allocator.domain.policy import Policy
from allocator.domain.schedule import Schedule
from opd_contracts import SlotRecord
from opd_shared.driver_statement import DriverStatement

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


# Colleagues' slots with room, soonest first: the columns a SlotRecord shows.
_COLLEAGUE_SLOTS = DriverStatement.of(
    select(slots.c.id, slots.c.doctor_id, slots.c.date, slots.c.start_time, slots.c.end_time,
           slots.c.max_capacity, slots.c.current_count, slots.c.overflow_count,
           slots.c.is_active)
    .join(doctors, doctors.c.id == slots.c.doctor_id)
    .where(doctors.c.specialization == bindparam("specialization"),
           slots.c.date >= bindparam("today"), slots.c.is_active,
           slots.c.current_count < slots.c.max_capacity)
    .order_by(slots.c.date, slots.c.start_time, slots.c.id).limit(bindparam("limit")))


async def colleague_slots(driver: DriverConnection, specialization: str, today: dt.date,
                          limit: int = 50) -> list[SlotRecord]:
    """Slots with room of the doctors of one specialization, soonest first, as the records
    a refusal offers: alternatives to show, never records to change.

    Why straight to asyncpg, and as records: read through the session, as mapped slots, this
    read cost a round with a refusal about 1,000 us of this process's CPU for each
    specialization it refused in (a mapped slot's instrumented constructor, 711 us for 50
    slots; the session's statement; and in a round alone, which has no transaction, the
    session's BEGIN and COMMIT around it). It needs no transaction: one statement reads
    one snapshot, in the round's transaction when it has one (`DriverConnection.read`)."""
    rows = await driver.read(_COLLEAGUE_SLOTS, {"specialization": specialization,
                                                 "today": today, "limit": limit})
    return [SlotRecord.model_validate(dict(row)) for row in rows]
