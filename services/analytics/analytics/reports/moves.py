"""How often, why and how far tokens were moved, from `token_moves`.

The kind is the allocator's `move_kind` (older events: read from the reason, see
`rollups.move_kind`): a doctor's delay, an emergency bumping a walk-in, a reallocation by
staff, a transfer to a colleague, and fairness moves (only ever read from old reasons).
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
                                     max_minutes=None, to_later_day=0)) for k in MOVE_KINDS]
    kinds += sorted(found.values(), key=lambda figure: figure.kind)
    return MovesReport(**framing(f), moves=sum(k.moves for k in kinds), kinds=kinds)
