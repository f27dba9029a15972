"""Slots with their live counts, and each slot's queue."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from queue_view.day import slot_day
from queue_view.deps import READ, PatientsShown, SessionDep
from queue_view.errors import NOT_FOUND, READ_ERRORS, NotFoundError
from queue_view.models import Slot
from queue_view.params import DoctorFilter, RecordId
from queue_view.queries import list_slots
from queue_view.schemas import QueueEntryOut, SlotOut
from queue_view.views import queue_entry

__all__ = ["router"]

router = APIRouter(prefix="/slots", tags=["slots"], dependencies=[READ], responses=READ_ERRORS)


@router.get("")
async def get_slots(
    session: SessionDep, doctor_id: DoctorFilter = None, date: dt.date | None = None
) -> list[SlotOut]:
    return [SlotOut.model_validate(row) for row in await list_slots(session, doctor_id, date)]


@router.get("/{slot_id}", responses=NOT_FOUND)
async def get_slot(slot_id: RecordId, session: SessionDep) -> SlotOut:
    return SlotOut.model_validate(await _existing(session, slot_id))


@router.get("/{slot_id}/queue", responses=NOT_FOUND)
async def get_queue(slot_id: RecordId, session: SessionDep,
                    patients: PatientsShown) -> list[QueueEntryOut]:
    """Live tokens (allocated, checked in, consulting) in the order they will be seen,
    each with its estimated wait (see the patient's position endpoint for the formula).
    Patients' names and phones only for keys that may read patients (else null)."""
    day = await slot_day(session, await _existing(session, slot_id))
    return [queue_entry(entry, patients) for entry in day.queue]


async def _existing(session: AsyncSession, slot_id: int) -> Slot:
    slot = await session.get(Slot, slot_id)
    if slot is None:
        raise NotFoundError("slot", slot_id)
    return slot
