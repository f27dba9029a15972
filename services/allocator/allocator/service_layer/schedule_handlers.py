"""Doctors and slots: the hospital's administration of the timetable."""

from __future__ import annotations

import datetime as dt

from allocator.domain.change import Change
from allocator.domain.model import Doctor, Slot
from allocator.service_layer.decided import Decided
from allocator.service_layer.ports import UnitOfWork
from opd_contracts import DoctorRecord, OpenSlot, RegisterDoctor, ResizeSlot, SlotRecord
from opd_contracts.topology import partition_of_doctor

__all__ = ["open_slot", "register_doctor", "resize_slot"]


async def register_doctor(uow: UnitOfWork, cmd: RegisterDoctor, now: dt.datetime) -> Decided:
    doctor = await uow.schedules.add_doctor(Doctor(
        id=None, name=cmd.name, specialization=cmd.specialization, room=cmd.room,  # type: ignore[arg-type]
        created_at=now,
    ))
    record = DoctorRecord.model_validate(doctor).model_dump(mode="json")
    return Decided(record, [(doctor, [Change("doctor.registered", [], [])])])


async def open_slot(uow: UnitOfWork, cmd: OpenSlot, now: dt.datetime) -> Decided:
    """Slots of one doctor never overlap."""
    schedule = await uow.schedules.load(cmd.doctor_id, now.date())
    partition = partition_of_doctor(cmd.doctor_id, uow.partitions)
    slot = schedule.open_slot(Slot(
        id=await uow.schedules.next_record_id(partition), doctor_id=cmd.doctor_id,
        date=cmd.date, start_time=cmd.start_time, end_time=cmd.end_time,
        max_capacity=cmd.max_capacity,
    ), now)
    await uow.schedules.save(schedule)
    return Decided.on(SlotRecord.model_validate(slot).model_dump(mode="json"), schedule)


async def resize_slot(uow: UnitOfWork, cmd: ResizeSlot, now: dt.datetime) -> Decided:
    """Capacity grows freely and shrinks no further than the tokens already holding a place."""
    doctor_id = await uow.schedules.locate_slot(cmd.slot_id)
    schedule = await uow.schedules.load(doctor_id, now.date(), cmd.slot_id)
    slot = schedule.resize_slot(cmd.slot_id, cmd.max_capacity, now)
    await uow.schedules.save(schedule)
    return Decided.on(SlotRecord.model_validate(slot).model_dump(mode="json"), schedule)
