"""Management reports under /api/v1/analytics: JSON by default, `?format=csv` for a table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import Query, Request, Response
from sqlalchemy import select, tuple_
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
from opd_shared.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, after, serve_page

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


@router.get("/doctors", response_model=list[DoctorItem], summary="Doctors, for the filters",
            responses=PAGED)
async def doctors(session: SessionDep, request: Request, response: Response,
                  cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Any:
    """By specialization, name and id, a page at a time (the next in the `Link` header)."""
    order = (Doctor.specialization, Doctor.name, Doctor.id)
    query = select(Doctor).order_by(*order).limit(limit + 1)
    if (start := after(cursor, "doctors", (str, str, int))) is not None:
        query = query.where(tuple_(*order) > tuple_(*start))
    found = [DoctorItem.model_validate(d, from_attributes=True)
             for d in await session.scalars(query)]
    return serve_page(request, response, found, limit, "doctors",
                      lambda d: [d.specialization, d.name, d.id])
