from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires
from opd_shared.contracts import OpenSlot

from booking_gateway.deps import Bus, Settings
from booking_gateway.schemas import SlotIn
from booking_gateway.submit import submit

router = APIRouter(prefix="/api/v1/slots", tags=["slots"])


@router.post("", status_code=201, summary="Open a time slot for a doctor (admin)")
async def open_slot(body: SlotIn, request: Request, bus: Bus, settings: Settings,
                    caller: Caller = requires(Permission.MANAGE_SCHEDULE)) -> JSONResponse:
    command = OpenSlot(**body.model_dump())
    return await submit(bus, request, caller, command, settings.reply_timeout_s, created=True)
