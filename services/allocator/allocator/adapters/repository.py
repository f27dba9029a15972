"""Loading and saving one doctor's schedule, and the look-ups around it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from allocator.adapters.orm import doctors, record_ids, slots, token_counters, tokens
from allocator.domain.errors import NotFound
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.model import Doctor, Slot
from allocator.domain.schedule import Schedule

__all__ = ["ScheduleRepository"]


class ScheduleRepository:
    def __init__(self, session: AsyncSession, partitions: int,
                 fairness: FairnessPolicy) -> None:
        self.session = session
        self.partitions = partitions
        self.fairness = fairness

    async def load(self, doctor_id: int, today: dt.date, *also_slots: int) -> Schedule:
        """The doctor with every slot from today on (plus `also_slots`), tokens included."""
        doctor = await self.session.get(Doctor, doctor_id, populate_existing=True)
        if doctor is None:
            raise NotFound(f"doctor {doctor_id} does not exist")
        found = await self.session.scalars(
            select(Slot)
            .where(slots.c.doctor_id == doctor_id,
                   or_(slots.c.date >= today, slots.c.id.in_(also_slots)))
            .options(selectinload(Slot.tokens))  # type: ignore[arg-type]
            .execution_options(populate_existing=True)
        )
        counters = await self.session.execute(
            select(token_counters.c.date, token_counters.c.last_number)
            .where(token_counters.c.doctor_id == doctor_id)
        )
        return Schedule(doctor, {s.id: s for s in found}, {d: n for d, n in counters},
                        fairness=self.fairness)

    async def locate_slot(self, slot_id: int) -> int:
        """The doctor of a slot."""
        doctor_id = await self.session.scalar(
            select(slots.c.doctor_id).where(slots.c.id == slot_id))
        if doctor_id is None:
            raise NotFound(f"slot {slot_id} does not exist")
        return int(doctor_id)

    async def locate_token(self, token_id: int) -> tuple[int, int]:
        """(doctor_id, slot_id) of a token."""
        row = (await self.session.execute(
            select(tokens.c.doctor_id, tokens.c.slot_id).where(tokens.c.id == token_id)
        )).first()
        if row is None:
            raise NotFound(f"token {token_id} does not exist")
        return row.doctor_id, row.slot_id

    async def save(self, schedule: Schedule) -> None:
        self.session.add_all(schedule.slots.values())
        if schedule.counters:
            statement = insert(token_counters).values([
                {"doctor_id": schedule.doctor.id, "date": d, "last_number": n}
                for d, n in schedule.counters.items()
            ])
            await self.session.execute(statement.on_conflict_do_update(
                index_elements=["doctor_id", "date"],
                set_={"last_number": statement.excluded.last_number},
            ))
        await self.session.flush()

    async def add_doctor(self, doctor: Doctor) -> Doctor:
        self.session.add(doctor)
        await self.session.flush()
        return doctor

    async def next_record_id(self, partition: int) -> int:
        """An id whose remainder is the partition, so the gateway can route by id."""
        value = await self.session.scalar(record_ids.next_value())
        return int(value) * self.partitions + partition

    async def next_event_seqs(self, doctor_id: int, count: int) -> range:
        last = await self.session.scalar(
            update(doctors).where(doctors.c.id == doctor_id)
            .values(last_event_seq=doctors.c.last_event_seq + count)
            .returning(doctors.c.last_event_seq)
        )
        return range(int(last) - count + 1, int(last) + 1)

    async def alternative_candidates(self, doctor: Doctor, today: dt.date) -> list[Slot]:
        """Slots with room of this doctor and of colleagues in the same specialization."""
        colleagues = select(doctors.c.id).where(doctors.c.specialization == doctor.specialization)
        found = await self.session.scalars(
            select(Slot)
            .where(slots.c.doctor_id.in_(colleagues), slots.c.date >= today,
                   slots.c.is_active, slots.c.current_count < slots.c.max_capacity)
            .order_by(slots.c.date, slots.c.start_time)
            .limit(50)
        )
        return list(found)

