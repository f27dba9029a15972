from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from booking_gateway.deps import Bus, Scheduler, Settings
from booking_gateway.schemas import SlotIn
from booking_gateway.submit import submit
from opd_shared.contracts import OpenSlot

router = APIRouter(prefix="/api/v1/slots", tags=["slots"])


@router.post("", status_code=201, summary="Open a time slot for a doctor (admin)")
async def open_slot(body: SlotIn, request: Request, bus: Bus, settings: Settings,
                    caller: Scheduler) -> JSONResponse:
    command = OpenSlot(**body.model_dump())
    return await submit(bus, request, caller, command, settings.reply_timeout_s, created=True)
