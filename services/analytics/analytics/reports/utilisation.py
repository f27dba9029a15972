"""Places offered against places held (tokens waiting, in consultation or seen), per day and
per doctor, from `daily_capacity`; a source filter counts that source's share."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.filters import Filters
from analytics.report_schemas import UtilisationDay, UtilisationDoctor, UtilisationReport
from analytics.reports.common import framing, rate
from analytics.rollup_tables import DailyCapacity, DailyTokens
from analytics.tables import Doctor
from opd_contracts.vocabulary import HOLDS_PLACE

__all__ = ["utilisation_report"]

Sums = dict[Any, list[int]]  # day or doctor id -> [slots, capacity, held]


def _per_day_and_doctor(table, *columns, where):
    """One GROUPING SETS query: sums per day and per doctor, told apart by grouping(day)."""
    return (select(func.grouping(table.day), table.day, table.doctor_id, *map(func.sum, columns))
            .where(*where).group_by(func.grouping_sets(table.day, table.doctor_id)))


async def _sums(session: AsyncSession, f: Filters) -> tuple[Sums, Sums]:
    """Places held by any source are kept with the capacity; a source's share is counted
    from `daily_tokens`."""
    c, t = DailyCapacity, DailyTokens
    by_day: Sums = defaultdict(lambda: [0, 0, 0])
    by_doctor: Sums = defaultdict(lambda: [0, 0, 0])
    offered = _per_day_and_doctor(c, c.slots, c.capacity, c.held,
                                  where=[f.of_days(c.day), *f.of_doctors(c.doctor_id)])
    for no_day, day, doctor, *sums in await session.execute(offered):
        (by_doctor[doctor] if no_day else by_day[day])[:] = map(int, sums)
    if f.source is None:
        return by_day, by_doctor
    held_by = sorted(HOLDS_PLACE)  # a SQL sum of the columns of every status holding a place
    places = sum((getattr(t, s) for s in held_by[1:]), getattr(t, held_by[0]))
    held = _per_day_and_doctor(t, places, where=[
        f.of_days(t.day), *f.of_doctors(t.doctor_id), *f.of_source(t.source)])
    for totals in (by_day, by_doctor):
        for figures in totals.values():
            figures[2] = 0
    for no_day, day, doctor, places_held in await session.execute(held):
        (by_doctor[doctor] if no_day else by_day[day])[2] = int(places_held)
    return by_day, by_doctor


async def utilisation_report(session: AsyncSession, f: Filters) -> UtilisationReport:
    by_day, by_doctor = await _sums(session, f)
    doctors = {d.id: d for d in await session.scalars(
        select(Doctor).where(Doctor.id.in_(list(by_doctor))))}
    days = [UtilisationDay(date=day, slots=s, capacity=c, held=h, utilisation=rate(h, c))
            for day, (s, c, h) in sorted(by_day.items())]
    rows = [UtilisationDoctor(
        doctor_id=i, doctor_name=getattr(doctors.get(i), "name", None),
        specialization=getattr(doctors.get(i), "specialization", None),
        slots=s, capacity=c, held=h, utilisation=rate(h, c),
    ) for i, (s, c, h) in sorted(by_doctor.items())]
    slots, capacity, held = (sum(d[k] for d in by_day.values()) for k in range(3))
    return UtilisationReport(**framing(f), slots=slots, capacity=capacity, held=held,
                             utilisation=rate(held, capacity), doctors=rows, days=days)
