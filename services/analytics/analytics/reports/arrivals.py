"""Tokens booked by hour of day (hospital time), per source, from `hospital_arrivals`
(or `hourly_arrivals`, per doctor, when filtered by doctor or specialization).

A token counts on the local day and hour it was booked, which for an advance booking is
not the day it is for: this is the load on the booking desks and apps.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.filters import Filters
from analytics.report_schemas import ArrivalHour, ArrivalsReport
from analytics.reports.common import framing
from analytics.rollup_tables import HospitalArrivals, HourlyArrivals
from opd_contracts.vocabulary import Source

__all__ = ["arrivals_report"]

SOURCES = [s.value for s in Source]


async def arrivals_report(session: AsyncSession, f: Filters) -> ArrivalsReport:
    a: type[HourlyArrivals | HospitalArrivals] = HourlyArrivals if f.by_doctor else HospitalArrivals
    doctors = f.of_doctors(HourlyArrivals.doctor_id) if f.by_doctor else []
    wanted = [f.source.value] if f.source else SOURCES
    statement = (
        select(a.hour, *(func.sum(getattr(a, s)) for s in SOURCES))
        .where(f.of_days(a.day), *doctors)
        .group_by(a.hour)
    )
    counts = {hour: dict(zip(SOURCES, map(int, sums), strict=True))
              for hour, *sums in await session.execute(statement)}
    hours = []
    for hour in range(24):
        found = {s: n if s in wanted else 0 for s, n in counts.get(hour, {}).items()}
        per_source = {s: found.get(s, 0) for s in SOURCES}
        hours.append(ArrivalHour(hour=hour, **per_source, total=sum(per_source.values())))
    busiest = max(hours, key=lambda h: h.total)
    return ArrivalsReport(**framing(f), total=sum(h.total for h in hours),
                          peak_hour=busiest.hour if busiest.total else None, hours=hours)
