"""Doctors as the allocator last described them."""

from __future__ import annotations

from fastapi import APIRouter

from queue_view.deps import SessionDep
from queue_view.errors import NotFoundError
from queue_view.models import Doctor
from queue_view.queries import list_doctors
from queue_view.schemas import DoctorOut

__all__ = ["router"]

router = APIRouter(prefix="/doctors", tags=["doctors"])


@router.get("")
async def get_doctors(session: SessionDep) -> list[DoctorOut]:
    return [DoctorOut.model_validate(row) for row in await list_doctors(session)]


@router.get("/{doctor_id}")
async def get_doctor(doctor_id: int, session: SessionDep) -> DoctorOut:
    doctor = await session.get(Doctor, doctor_id)
    if doctor is None:
        raise NotFoundError("doctor", doctor_id)
    return DoctorOut.model_validate(doctor)
