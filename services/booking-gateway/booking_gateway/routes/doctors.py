from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires
from opd_shared.contracts import CallNext, DelayDoctor, RegisterDoctor

from booking_gateway.deps import Bus, Settings
from booking_gateway.schemas import DelayIn, DoctorIn
from booking_gateway.submit import submit

router = APIRouter(prefix="/api/v1/doctors", tags=["doctors"])


@router.post("", status_code=201, summary="Register a doctor (admin)")
async def register(body: DoctorIn, request: Request, bus: Bus, settings: Settings,
                   caller: Caller = requires(Permission.MANAGE_SCHEDULE)) -> JSONResponse:
    command = RegisterDoctor(**body.model_dump())
    return await submit(bus, request, caller, command, settings.reply_timeout_s, created=True)


@router.post("/{doctor_id}/call-next", summary="Call the next patient in (staff)")
async def call_next(doctor_id: int, request: Request, bus: Bus, settings: Settings,
                    slot_id: int | None = Query(None, ge=1),
                    caller: Caller = requires(Permission.LIFECYCLE)) -> JSONResponse:
    command = CallNext(doctor_id=doctor_id, slot_id=slot_id)
    return await submit(bus, request, caller, command, settings.reply_timeout_s)


@router.post("/{doctor_id}/delay", summary="The doctor runs late: move who no longer fits")
async def delay(doctor_id: int, body: DelayIn, request: Request, bus: Bus, settings: Settings,
                caller: Caller = requires(Permission.LIFECYCLE)) -> JSONResponse:
    command = DelayDoctor(doctor_id=doctor_id, **body.model_dump())
    return await submit(bus, request, caller, command, settings.reply_timeout_s)
