"""Doctors as the allocator last described them, and a doctor's day."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response

from opd_shared.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, after, serve_page
from queue_view.day import doctor_day
from queue_view.deps import READ, PatientsShown, SessionDep
from queue_view.errors import NOT_FOUND, READ_ERRORS, NotFoundError
from queue_view.models import Doctor
from queue_view.params import RecordId
from queue_view.queries import list_doctors
from queue_view.schemas import DayOut, DoctorOut
from queue_view.views import day_out

__all__ = ["router"]

router = APIRouter(prefix="/doctors", tags=["doctors"], dependencies=[READ],
                   responses=READ_ERRORS)


@router.get("", responses=PAGED)
async def get_doctors(session: SessionDep, request: Request, response: Response,
                      cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> list[DoctorOut]:
    """By id, a page at a time (the next page's address is in the `Link` header)."""
    start = after(cursor, "doctors", (int,))
    rows = await list_doctors(session, start[0] if start else None, limit + 1)
    return serve_page(request, response, [DoctorOut.model_validate(row) for row in rows],
                      limit, "doctors", lambda doctor: [doctor.id])


@router.get("/{doctor_id}", responses=NOT_FOUND)
async def get_doctor(doctor_id: RecordId, session: SessionDep) -> DoctorOut:
    return DoctorOut.model_validate(await _existing(session, doctor_id))


@router.get("/{doctor_id}/day/{date}", responses=NOT_FOUND)
async def get_doctor_day(doctor_id: RecordId, date: dt.date, session: SessionDep,
                         patients: PatientsShown) -> DayOut:
    """The doctor's slots on `date` with live counts, utilisation, pace and each queue.
    Patients' names and phones only for keys that may read patients (else null)."""
    doctor = await _existing(session, doctor_id)
    return day_out(doctor, await doctor_day(session, doctor_id, date), patients)


async def _existing(session: SessionDep, doctor_id: int) -> Doctor:
    doctor = await session.get(Doctor, doctor_id)
    if doctor is None:
        raise NotFoundError("doctor", doctor_id)
    return doctor
