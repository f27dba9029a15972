"""Doctors' schedules in memory, for one fake unit of work: copies of what the store
committed, handed back to the store only when the unit of work commits."""

from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING

from allocator.domain.alternatives import SlotFields
from allocator.domain.errors import NotFound
from allocator.domain.model import Doctor
from allocator.domain.schedule import Schedule

if TYPE_CHECKING:
    from .fakes import Store


class FakeSchedules:
    def __init__(self, store: Store, partitions: int) -> None:
        self.store, self.partitions = store, partitions
        self.touched: dict[int, Schedule] = {}
        self.seqs: dict[int, int] = {}

    async def load(self, doctor_id: int, today: dt.date, *also_slots: int) -> Schedule:
        if doctor_id not in self.touched:
            if doctor_id not in self.store.schedules:
                raise NotFound(f"doctor {doctor_id} does not exist")
            self.touched[doctor_id] = copy.deepcopy(self.store.schedules[doctor_id])
            self.seqs[doctor_id] = self.store.seqs[doctor_id]
        schedule = self.touched[doctor_id]
        schedule.changes = []
        return schedule

    async def add_doctor(self, doctor: Doctor) -> Doctor:
        doctor.id = next(self.store.ids)
        self.touched[doctor.id], self.seqs[doctor.id] = Schedule(doctor, {}), 0
        return doctor

    async def save(self, schedule: Schedule) -> None:
        assert schedule is self.touched[schedule.doctor.id], "saved a schedule not loaded"

    async def locate_slot(self, slot_id: int) -> int:
        for doctor_id, schedule in {**self.store.schedules, **self.touched}.items():
            if slot_id in schedule.slots:
                return doctor_id
        raise NotFound(f"slot {slot_id} does not exist")

    async def locate_token(self, token_id: int) -> tuple[int, int]:
        for schedule in {**self.store.schedules, **self.touched}.values():
            for slot in schedule.slots.values():
                if any(t.id == token_id for t in slot.tokens):
                    return schedule.doctor.id, slot.id
        raise NotFound(f"token {token_id} does not exist")

    async def next_record_id(self, partition: int) -> int:
        return next(self.store.ids) * self.partitions + partition

    def next_event_seqs(self, doctor_id: int, count: int) -> range:
        self.seqs[doctor_id] += count
        return range(self.seqs[doctor_id] - count + 1, self.seqs[doctor_id] + 1)

    async def alternative_candidates(self, doctor: Doctor, today: dt.date
                                     ) -> list[SlotFields]:
        return list(self.touched[doctor.id].slots.values())
