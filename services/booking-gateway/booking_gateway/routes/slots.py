from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from booking_gateway.answers import answers
from booking_gateway.deps import IDEMPOTENCY_KEY, Bus, Scheduler, Settings
from booking_gateway.schemas import SlotChangeIn, SlotIn
from booking_gateway.submit import submit
from opd_contracts import OpenSlot, ResizeSlot, SlotRecord, bounds

router = APIRouter(prefix="/api/v1/slots", tags=["slots"],
                   dependencies=[IDEMPOTENCY_KEY])


@router.post("", status_code=201, summary="Open a time slot for a doctor (admin)",
             response_model=None, responses=answers(201, SlotRecord))
async def open_slot(body: SlotIn, request: Request, bus: Bus, settings: Settings,
                    caller: Scheduler) -> JSONResponse:
    command = OpenSlot(**body.model_dump())
    return await submit(bus, request, caller, command, settings, created=True)


@router.patch("/{slot_id}", summary="Change a slot's capacity (admin)",
              response_model=None, responses=answers(200, SlotRecord))
async def change_slot(slot_id: Annotated[int, Path(ge=1, le=bounds.ID_MAX)], body: SlotChangeIn,
                      request: Request, bus: Bus, settings: Settings,
                      caller: Scheduler) -> JSONResponse:
    command = ResizeSlot(slot_id=slot_id, max_capacity=body.max_capacity)
    return await submit(bus, request, caller, command, settings)
