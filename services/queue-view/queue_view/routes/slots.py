"""Slots with their live counts, and each slot's queue."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from opd_shared.pages import (
    DEFAULT_LIMIT,
    PAGED,
    Cursor,
    Limit,
    after,
    bad_cursor,
    serve_page,
)
from queue_view.day import slot_day
from queue_view.deps import READ, PatientsShown, SessionDep
from queue_view.errors import NOT_FOUND, READ_ERRORS, NotFoundError
from queue_view.models import Slot
from queue_view.params import DoctorFilter, RecordId
from queue_view.queries import SlotKey, list_slots, queue_key
from queue_view.schemas import QueueEntryOut, SlotOut
from queue_view.views import queue_entry

__all__ = ["router"]

router = APIRouter(prefix="/slots", tags=["slots"], dependencies=[READ], responses=READ_ERRORS)


@router.get("", responses=PAGED)
async def get_slots(
    session: SessionDep, request: Request, response: Response, doctor_id: DoctorFilter = None,
    date: dt.date | None = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
) -> list[SlotOut]:
    """By date, start time and id, a page at a time (the next in the `Link` header)."""
    start = after(cursor, "slots", (str, str, int))
    key = _slot_key(start) if start else None
    rows = await list_slots(session, doctor_id, date, key, limit + 1)
    return serve_page(request, response, [SlotOut.model_validate(row) for row in rows], limit,
                      "slots", lambda s: [s.date.isoformat(), s.start_time.isoformat(), s.id])


@router.get("/{slot_id}", responses=NOT_FOUND)
async def get_slot(slot_id: RecordId, session: SessionDep) -> SlotOut:
    return SlotOut.model_validate(await _existing(session, slot_id))


@router.get("/{slot_id}/queue", responses={**NOT_FOUND, **PAGED})
async def get_queue(slot_id: RecordId, session: SessionDep, patients: PatientsShown,
                    request: Request, response: Response, cursor: Cursor = None,
                    limit: Limit = DEFAULT_LIMIT) -> list[QueueEntryOut]:
    """Live tokens (allocated, checked in, consulting) in the order they will be seen,
    each with its estimated wait (see the patient's position endpoint for the formula),
    a page at a time (the next in the `Link` header); `position` counts the whole queue.
    Patients' names and phones only for keys that may read patients (else null)."""
    start = after(cursor, f"the queue of slot {slot_id}", (int,) * 5)
    day = await slot_day(session, await _existing(session, slot_id))
    rest = [e for e in day.queue if start is None or queue_key(e.token) > start]
    page = serve_page(request, response, rest[:limit + 1], limit,
                      f"the queue of slot {slot_id}", lambda e: queue_key(e.token))
    return [queue_entry(entry, patients) for entry in page]


def _slot_key(key: list) -> SlotKey:
    try:
        return dt.date.fromisoformat(key[0]), dt.time.fromisoformat(key[1]), key[2]
    except ValueError:
        raise bad_cursor("slots") from None


async def _existing(session: AsyncSession, slot_id: int) -> Slot:
    slot = await session.get(Slot, slot_id)
    if slot is None:
        raise NotFoundError("slot", slot_id)
    return slot
