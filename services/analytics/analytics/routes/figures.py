"""Management figures under /api/v1/analytics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from analytics import queries
from analytics.deps import RuntimeDep, SessionDep
from analytics.routes.guarded import NOT_FOUND, RecordId, analytics_router, not_found
from analytics.schemas import DoctorDayAnalytics, SlotAnalytics, SystemStatus

__all__ = ["router"]

router = analytics_router("analytics")


@router.get("/system/status", response_model=SystemStatus)
async def system_status(
    session: SessionDep,
    runtime: RuntimeDep,
    date: Annotated[dt.date | None, Query(description="Default: today, hospital time")] = None,
) -> SystemStatus:
    return await queries.system_status(session, date or runtime.today())


@router.get("/slots/{slot_id}", response_model=SlotAnalytics, responses=NOT_FOUND)
async def slot_figures(slot_id: RecordId, session: SessionDep) -> SlotAnalytics | JSONResponse:
    figures = await queries.slot_figures(session, slot_id)
    return figures if figures is not None else not_found(f"Slot {slot_id} not found")


@router.get(
    "/doctors/{doctor_id}/day/{date}", response_model=DoctorDayAnalytics, responses=NOT_FOUND
)
async def doctor_day(
    doctor_id: RecordId, date: dt.date, session: SessionDep
) -> DoctorDayAnalytics | JSONResponse:
    figures = await queries.doctor_day(session, doctor_id, date)
    return figures if figures is not None else not_found(f"Doctor {doctor_id} not found")
