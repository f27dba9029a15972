"""Management reports under /api/v1/analytics: JSON by default, `?format=csv` for a table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.deps import SessionDep
from analytics.export import csv_response
from analytics.filters import Filters, FiltersDep
from analytics.report_schemas import (
    ArrivalsReport,
    DoctorItem,
    MovesReport,
    Report,
    TokensReport,
    UtilisationReport,
    WaitsReport,
)
from analytics.reports.arrivals import arrivals_report
from analytics.reports.moves import moves_report
from analytics.reports.tokens import tokens_report
from analytics.reports.utilisation import utilisation_report
from analytics.reports.waits import waits_report
from analytics.routes.guarded import analytics_router
from analytics.tables import Doctor

__all__ = ["router"]

router = analytics_router("reports")
Format = Annotated[Literal["json", "csv"], Query(description="csv: one table, as a download")]
Table = Annotated[str | None, Query(description="Which table to export; default the first")]
Build = Callable[[AsyncSession, Filters], Awaitable[Report]]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "The report (JSON), or one of its tables (`format=csv`)"}}


def _report(path: str, model: type[Report], build: Build, summary: str) -> None:
    name = path.strip("/")

    @router.get(path, response_model=model, summary=summary, name=name, responses=CSV)
    async def answer(session: SessionDep, filters: FiltersDep,
                     format: Format = "json", table: Table = None) -> Any:
        report = await build(session, filters)
        return csv_response(report, name, table) if format == "csv" else report


_report("/tokens", TokensReport, tokens_report,
        "Tokens by status and source per day; emergencies, overflows, no-show and cancel rates")
_report("/utilisation", UtilisationReport, utilisation_report,
        "Places held over places offered, per doctor and per day")
_report("/waits", WaitsReport, waits_report,
        "Median and 90th percentile of each lifecycle interval, overall and per source")
_report("/arrivals", ArrivalsReport, arrivals_report, "Tokens booked by hour of day")
_report("/moves", MovesReport, moves_report, "Tokens moved, by kind of reason, and how far")


@router.get("/doctors", response_model=list[DoctorItem], summary="Doctors, for the filters")
async def doctors(session: SessionDep) -> Any:
    found = await session.scalars(select(Doctor).order_by(Doctor.specialization, Doctor.name))
    return [DoctorItem.model_validate(d, from_attributes=True) for d in found]


