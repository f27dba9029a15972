from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from booking_gateway.answers import DelayOut, answers
from booking_gateway.deps import IDEMPOTENCY_KEY, Bus, Scheduler, Settings, Staff
from booking_gateway.schemas import DelayIn, DoctorIn
from booking_gateway.submit import submit
from opd_contracts import CallNext, DelayDoctor, DoctorRecord, RegisterDoctor, TokenRecord

router = APIRouter(prefix="/api/v1/doctors", tags=["doctors"],
                   dependencies=[IDEMPOTENCY_KEY])


@router.post("", status_code=201, summary="Register a doctor (admin)",
             response_model=None, responses=answers(201, DoctorRecord))
async def register(body: DoctorIn, request: Request, bus: Bus, settings: Settings,
                   caller: Scheduler) -> JSONResponse:
    command = RegisterDoctor(**body.model_dump())
    return await submit(bus, request, caller, command, settings, created=True)


@router.post("/{doctor_id}/call-next", summary="Call the next patient in (staff)",
             response_model=None, responses=answers(200, TokenRecord))
async def call_next(doctor_id: int, request: Request, bus: Bus, settings: Settings,
                    caller: Staff,
                    slot_id: Annotated[int | None, Query(ge=1)] = None) -> JSONResponse:
    command = CallNext(doctor_id=doctor_id, slot_id=slot_id)
    return await submit(bus, request, caller, command, settings)


@router.post("/{doctor_id}/delay", summary="The doctor runs late: move who no longer fits",
             response_model=None, responses=answers(200, DelayOut))
async def delay(doctor_id: int, body: DelayIn, request: Request, bus: Bus, settings: Settings,
                caller: Staff) -> JSONResponse:
    command = DelayDoctor(doctor_id=doctor_id, **body.model_dump())
    return await submit(bus, request, caller, command, settings)
