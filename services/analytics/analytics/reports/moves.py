"""How often, why and how far tokens were moved, from `token_moves`.

The kind comes from the move's reason (see `rollups.MOVE_KINDS`): a doctor's delay, an
emergency bumping a walk-in, a reallocation by staff, and fairness moves once they exist.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.filters import Filters
from analytics.report_schemas import MoveFigure, MovesReport
from analytics.reports.common import framing
from analytics.rollup_tables import TokenMove
from analytics.rollups import MOVE_KINDS

__all__ = ["moves_report"]

KINDS = [kind for kind, _ in MOVE_KINDS] + ["reallocation"]


async def moves_report(session: AsyncSession, f: Filters) -> MovesReport:
    m = TokenMove
    statement = (
        select(m.kind, func.count(), func.count(m.token_id.distinct()), func.avg(m.minutes),
               func.max(m.minutes), func.count().filter(m.to_later_day))
        .where(f.of_days(m.day), *f.of_doctors(m.doctor_id), *f.of_source(m.source))
        .group_by(m.kind)
    )
    found = {
        kind: MoveFigure(kind=kind, moves=moves, tokens=tokens,
                         mean_minutes=round(float(mean), 2) if mean is not None else None,
                         max_minutes=longest, to_later_day=later)
        for kind, moves, tokens, mean, longest, later in await session.execute(statement)
    }
    kinds = [found.pop(k, MoveFigure(kind=k, moves=0, tokens=0, mean_minutes=None,
                                     max_minutes=None, to_later_day=0)) for k in KINDS]
    kinds += sorted(found.values(), key=lambda figure: figure.kind)
    return MovesReport(**framing(f), moves=sum(k.moves for k in kinds), kinds=kinds)
