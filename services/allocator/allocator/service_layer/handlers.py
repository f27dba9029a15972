"""One small handler per command: load one doctor's schedule, make one decision, save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from allocator.domain.alternatives import rank_alternatives
from allocator.domain.errors import SlotFull
from allocator.domain.model import Doctor, Slot
from allocator.domain.schedule import Booking, Change, Schedule
from allocator.service_layer.unit_of_work import UnitOfWork
from opd_shared.contracts import (
    BookToken,
    CallNext,
    CancelToken,
    ChangeTokenStatus,
    DelayDoctor,
    DoctorRecord,
    OpenSlot,
    ReallocateToken,
    RegisterDoctor,
    SlotRecord,
    TokenRecord,
)
from opd_shared.topology import partition_of_doctor
from opd_shared.vocabulary import TokenStatus

__all__ = ["HANDLERS", "Decided"]

Decided = tuple[dict[str, Any], Doctor, list[Change]]
Handler = Callable[[UnitOfWork, Any, dt.datetime], Awaitable[Decided]]


def _token(schedule: Schedule, token_id: int) -> dict[str, Any]:
    return TokenRecord.model_validate(schedule.token(token_id)).model_dump(mode="json")


async def register_doctor(uow: UnitOfWork, cmd: RegisterDoctor, now: dt.datetime) -> Decided:
    doctor = await uow.schedules.add_doctor(Doctor(
        id=None, name=cmd.name, specialization=cmd.specialization, room=cmd.room,  # type: ignore[arg-type]
        created_at=now,
    ))
    return DoctorRecord.model_validate(doctor).model_dump(mode="json"), doctor, [
        Change("doctor.registered", [], [])
    ]


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
    record = SlotRecord.model_validate(slot).model_dump(mode="json")
    return record, schedule.doctor, schedule.changes


async def book_token(uow: UnitOfWork, cmd: BookToken, now: dt.datetime) -> Decided:
    """A full slot refuses with alternatives; an emergency always gets in."""
    schedule = await uow.schedules.load(cmd.doctor_id, now.date(), cmd.slot_id)
    partition = partition_of_doctor(cmd.doctor_id, uow.partitions)
    booking = Booking(
        token_id=await uow.schedules.next_record_id(partition), slot_id=cmd.slot_id,
        patient_name=cmd.patient_name, patient_phone=cmd.patient_phone, source=cmd.source,
        notes=cmd.notes, emergency=cmd.emergency,
    )
    try:
        token = schedule.book(booking, now)
    except SlotFull as full:
        candidates = await uow.schedules.alternative_candidates(schedule.doctor, now.date())
        full.alternatives = [SlotRecord.model_validate(s) for s in
                             rank_alternatives(candidates, cmd.doctor_id, now)]
        raise
    await uow.schedules.save(schedule)
    return _token(schedule, token.id), schedule.doctor, schedule.changes


async def _token_schedule(uow: UnitOfWork, token_id: int, now: dt.datetime,
                          *also_slots: int) -> Schedule:
    doctor_id, slot_id = await uow.schedules.locate_token(token_id)
    return await uow.schedules.load(doctor_id, now.date(), slot_id, *also_slots)


async def change_token_status(uow: UnitOfWork, cmd: ChangeTokenStatus | CancelToken,
                              now: dt.datetime) -> Decided:
    """Every status change goes through the one transition function; places free once."""
    schedule = await _token_schedule(uow, cmd.token_id, now)
    to = TokenStatus.CANCELLED if isinstance(cmd, CancelToken) else cmd.status
    schedule.change_status(cmd.token_id, to, now)
    if isinstance(cmd, CancelToken) and cmd.reason:
        schedule.changes[-1].reason = cmd.reason  # the why of a cancellation is the caller's
    await uow.schedules.save(schedule)
    return _token(schedule, cmd.token_id), schedule.doctor, schedule.changes


async def reallocate_token(uow: UnitOfWork, cmd: ReallocateToken, now: dt.datetime) -> Decided:
    """Only waiting tokens move; the score is recomputed in the new slot."""
    schedule = await _token_schedule(uow, cmd.token_id, now, cmd.new_slot_id)
    schedule.reallocate(cmd.token_id, cmd.new_slot_id, cmd.reason, now)
    await uow.schedules.save(schedule)
    return _token(schedule, cmd.token_id), schedule.doctor, schedule.changes


async def call_next(uow: UnitOfWork, cmd: CallNext, now: dt.datetime) -> Decided:
    also = (cmd.slot_id,) if cmd.slot_id else ()
    schedule = await uow.schedules.load(cmd.doctor_id, now.date(), *also)
    token = schedule.call_next(cmd.slot_id, now)
    await uow.schedules.save(schedule)
    return _token(schedule, token.id), schedule.doctor, schedule.changes


async def delay_doctor(uow: UnitOfWork, cmd: DelayDoctor, now: dt.datetime) -> Decided:
    """Who no longer fits today moves to the next days' slots, in the same order."""
    schedule = await uow.schedules.load(cmd.doctor_id, now.date())
    moved = schedule.delay(cmd.minutes, cmd.reason, now)
    await uow.schedules.save(schedule)
    summary = {
        "doctor_id": cmd.doctor_id, "minutes": cmd.minutes, "reason": cmd.reason,
        "moved": [{"token_id": t.id, "token_number": t.token_number, "from_slot_id": origin,
                   "to_slot_id": t.slot_id} for t, origin in moved],
    }
    return summary, schedule.doctor, schedule.changes


HANDLERS: dict[type, Handler] = {
    RegisterDoctor: register_doctor,
    OpenSlot: open_slot,
    BookToken: book_token,
    CancelToken: change_token_status,
    ChangeTokenStatus: change_token_status,
    ReallocateToken: reallocate_token,
    CallNext: call_next,
    DelayDoctor: delay_doctor,
}
