"""Tokens by status and source, per day: counts, emergencies, overflows, no-show and
cancellation rates. From `hospital_tokens`, or `daily_tokens` when filtered by doctor."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.filters import Filters
from analytics.report_schemas import TokenDay, TokensReport
from analytics.reports.common import framing, rate
from analytics.rollup_tables import DailyTokens, HospitalTokens
from analytics.rollups import STATUSES
from opd_contracts.vocabulary import Source

__all__ = ["tokens_report"]

COUNTS = (*STATUSES, "emergencies", "overflows")


async def _days(session: AsyncSession, f: Filters) -> list[TokenDay]:
    t: type[DailyTokens | HospitalTokens] = DailyTokens if f.by_doctor else HospitalTokens
    doctors = f.of_doctors(DailyTokens.doctor_id) if f.by_doctor else []
    statement = (
        select(t.day, t.source, *(func.sum(getattr(t, c)) for c in COUNTS))
        .where(f.of_days(t.day), *doctors, *f.of_source(t.source))
        .group_by(t.day, t.source)
        .order_by(t.day, t.source)
    )
    days = []
    for day, source, *sums in await session.execute(statement):
        counts = dict(zip(COUNTS, map(int, sums), strict=True))
        days.append(TokenDay(date=day, source=source, **counts,
                             total=sum(counts[s] for s in STATUSES)))
    return days


async def tokens_report(session: AsyncSession, f: Filters) -> TokensReport:
    days = await _days(session, f)
    by_status = {s: sum(getattr(d, s) for d in days) for s in STATUSES}
    by_source = {s.value: sum(d.total for d in days if d.source == s) for s in Source}
    total = sum(by_status.values())
    return TokensReport(
        **framing(f), total=total, by_status=by_status, by_source=by_source,
        emergencies=sum(d.emergencies for d in days), overflows=sum(d.overflows for d in days),
        no_show_rate=rate(by_status["no_show"], total),
        cancellation_rate=rate(by_status["cancelled"], total), days=days,
    )
