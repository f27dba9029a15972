"""Reading schedules, their doctors' event seqs, and colleagues' slots from the database.

Loads refresh objects the session may still hold (`populate_existing`): a session lives
across batches, and the database, not an old object, is the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, Text, any_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from allocator.adapters.driver_calls import DriverConnection
from allocator.adapters.orm import any_of, doctors, slots, token_counters
from allocator.domain.model import Doctor, Slot
from allocator.domain.policy import Policy
from allocator.domain.schedule import Schedule
from opd_contracts import SlotRecord
from opd_shared.driver_statement import DriverStatement

__all__ = ["colleague_slots", "event_seqs", "load_schedule", "load_slots", "offered"]

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


# Each specialization's first `limit` slots with room, soonest first: the columns a
# SlotRecord shows, and the specialization. Numbered in one window over the named
# specializations' open slots, not each specialization's own ORDER BY ... LIMIT in a
# lateral subquery: that cost PostgreSQL 3-30 us more a refused booking in rounds of 28 and
# 60 (refusal_cost.py, 3 alternated invocations), its join of doctors run once for each.
_COLUMNS = ("id", "doctor_id", "date", "start_time", "end_time", "max_capacity",
            "current_count", "overflow_count", "is_active")
_OPEN = (select(*(slots.c[c] for c in _COLUMNS), doctors.c.specialization,
                func.row_number().over(partition_by=doctors.c.specialization,
                                       order_by=(slots.c.date, slots.c.start_time, slots.c.id))
                .label("place"))
         .select_from(slots.join(doctors, doctors.c.id == slots.c.doctor_id))
         .where(doctors.c.specialization == any_(bindparam("specializations",
                                                           type_=ARRAY(Text))),
                slots.c.date >= bindparam("today"), slots.c.is_active,
                slots.c.current_count < slots.c.max_capacity)
         .subquery("open"))
_COLLEAGUE_SLOTS = DriverStatement.of(
    select(*(_OPEN.c[c] for c in (*_COLUMNS, "specialization")))
    .where(_OPEN.c.place <= bindparam("limit"))
    .order_by(_OPEN.c.specialization, _OPEN.c.place))


async def colleague_slots(driver: DriverConnection, specializations: Collection[str],
                          today: dt.date, limit: int = 50) -> dict[str, list[Any]]:
    """Slots with room of the doctors of each specialization, soonest first, the first
    `limit` of each, as rows (`offered` makes them the records a refusal offers):
    alternatives to show, never records to change.

    Why straight to asyncpg, and as records, not mapped slots: read through the session,
    one specialization at a time, as mapped slots, each read cost this process about 1,000
    us of CPU: the mapped slot's instrumented constructor alone took 711 us for 50 slots
    (timeit), the session's statement about 340 (statement_costs.py), and in a round alone,
    which has no transaction, the session began one for it, so BEGIN and COMMIT came too
    (ADR 0011). It needs no transaction: one statement reads one snapshot, in the round's
    transaction when it has one (`DriverConnection.read`). The figures a refused booking:
    repository.alternative_candidates."""
    rows = await driver.read(_COLLEAGUE_SLOTS, {"specializations": sorted(specializations),
                                                 "today": today, "limit": limit})
    found: dict[str, list[Any]] = {s: [] for s in specializations}
    for row in rows:
        found[row["specialization"]].append(row)
    return found


def offered(rows: list[Any]) -> list[SlotRecord]:
    """Rows of `colleague_slots` as the records a refusal shows (1.7 us a row, timeit): a
    record's fields are what ranking reads (domain/alternatives.py), and an offered one
    goes into the reply as it is."""
    return [SlotRecord.model_validate({c: row[c] for c in _COLUMNS}) for row in rows]
