"""Doctors as the allocator last described them."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from queue_view.day import doctor_day
from queue_view.deps import SessionDep
from queue_view.errors import NotFoundError
from queue_view.models import Doctor
from queue_view.queries import list_doctors
from queue_view.schemas import DayOut, DoctorOut, day_out

__all__ = ["router"]

router = APIRouter(prefix="/doctors", tags=["doctors"])


@router.get("")
async def get_doctors(session: SessionDep) -> list[DoctorOut]:
    return [DoctorOut.model_validate(row) for row in await list_doctors(session)]


@router.get("/{doctor_id}")
async def get_doctor(doctor_id: int, session: SessionDep) -> DoctorOut:
    return DoctorOut.model_validate(await _existing(session, doctor_id))


@router.get("/{doctor_id}/day/{date}")
async def get_doctor_day(doctor_id: int, date: dt.date, session: SessionDep) -> DayOut:
    """The doctor's slots on `date` with live counts, utilisation, pace and each queue."""
    doctor = await _existing(session, doctor_id)
    return day_out(doctor, await doctor_day(session, doctor_id, date))


async def _existing(session: SessionDep, doctor_id: int) -> Doctor:
    doctor = await session.get(Doctor, doctor_id)
    if doctor is None:
        raise NotFoundError("doctor", doctor_id)
    return doctor
