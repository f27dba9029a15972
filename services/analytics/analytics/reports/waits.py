"""Waits between lifecycle timestamps, as median and 90th percentile, overall and per source.

Hospital-wide (or per source) from the `daily_waits` histogram, per specialization from
`specialty_waits`, per doctor from the per-token minutes in `tokens`. All three give
(minutes, count) pairs to one percentile function, so a filter never changes the definition.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.filters import Filters
from analytics.percentiles import percentile
from analytics.report_schemas import WaitFigure, WaitsReport
from analytics.reports.common import framing
from analytics.rollup_tables import DailyWaits, SpecialtyWaits
from analytics.rollups import WAIT_METRICS
from analytics.tables import Token
from opd_contracts.vocabulary import Source

__all__ = ["waits_report"]

Histograms = dict[tuple[str, str], Counter[int]]  # (metric, source) -> minutes -> tokens


async def _from_rollup(session: AsyncSession, f: Filters) -> Histograms:
    w: type[DailyWaits | SpecialtyWaits] = DailyWaits
    where: list[ColumnElement[bool]] = []
    if f.specialization is not None:
        w = SpecialtyWaits
        where = [SpecialtyWaits.specialization == f.specialization]
    statement = (select(w.metric, w.source, w.minutes, func.sum(w.tokens))
                 .where(*where, f.of_days(w.day), *f.of_source(w.source))
                 .group_by(w.metric, w.source, w.minutes))
    histograms: Histograms = defaultdict(Counter)
    for metric, source, minutes, tokens in await session.execute(statement):
        histograms[metric, source][minutes] += int(tokens)
        histograms[metric, "all"][minutes] += int(tokens)
    return histograms


async def _from_tokens(session: AsyncSession, f: Filters) -> Histograms:
    """The minutes themselves, one array per source and metric: read from the covering index
    and counted here, which beats unpivoting tens of thousands of rows in SQL."""
    t = Token
    minutes = [getattr(t, metric) for metric in WAIT_METRICS]
    statement = (
        select(t.source, *(func.array_agg(m).filter(m.is_not(None)) for m in minutes))
        .where(f.of_days(t.day), *f.of_doctors(t.doctor_id), *f.of_source(t.source))
        .group_by(t.source))
    histograms: Histograms = defaultdict(Counter)
    for source, *arrays in await session.execute(statement):
        for metric, values in zip(WAIT_METRICS, arrays, strict=True):
            histograms[metric, source].update(values or ())
            histograms[metric, "all"].update(values or ())
    return histograms


def _figure(metric: str, source: str, histogram: Counter[int]) -> WaitFigure:
    pairs = list(histogram.items())
    return WaitFigure(metric=metric, source=source, tokens=sum(histogram.values()),
                      median_minutes=percentile(pairs, 0.5), p90_minutes=percentile(pairs, 0.9))


async def waits_report(session: AsyncSession, f: Filters) -> WaitsReport:
    histograms = await (_from_rollup if f.doctor_id is None else _from_tokens)(session, f)
    sources = ["all", *(s.value for s in Source)]
    waits = [_figure(metric, source, histograms.get((metric, source), Counter()))
             for metric in WAIT_METRICS for source in sources]
    return WaitsReport(**framing(f), waits=waits)
