"""Management figures under /api/v1/analytics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from analytics import queries
from analytics.deps import RuntimeDep, SessionDep
from analytics.schemas import DoctorDayAnalytics, ErrorBody, SlotAnalytics, SystemStatus
from opd_shared.access.guard import requires
from opd_shared.access.roles import Permission

__all__ = ["router"]

router = APIRouter(prefix="/analytics", tags=["analytics"],
                   dependencies=[requires(Permission.READ_ANALYTICS)])
# Ids are PostgreSQL bigints: a larger number is a client's mistake (422), not our 500.
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND = {404: {"model": ErrorBody}}


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse(ErrorBody(detail=detail, code="not_found").model_dump(), status_code=404)


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
    return figures if figures is not None else _not_found(f"Slot {slot_id} not found")


@router.get(
    "/doctors/{doctor_id}/day/{date}", response_model=DoctorDayAnalytics, responses=NOT_FOUND
)
async def doctor_day(
    doctor_id: RecordId, date: dt.date, session: SessionDep
) -> DoctorDayAnalytics | JSONResponse:
    figures = await queries.doctor_day(session, doctor_id, date)
    return figures if figures is not None else _not_found(f"Doctor {doctor_id} not found")
