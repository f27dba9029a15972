"""Counting tokens by status and source: the aggregate every figure is built from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.tables import Slot, Token
from opd_contracts.vocabulary import Source, TokenStatus

__all__ = ["Breakdown", "token_breakdown", "utilisation"]


@dataclass(frozen=True)
class Breakdown:
    by_status: dict[str, int]
    by_source: dict[str, int]
    emergencies: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def _zero_filled(words: type[StrEnum], pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Every word of the vocabulary appears, so a dashboard never meets a missing key."""
    counts = dict.fromkeys((word.value for word in words), 0)
    for word, count in pairs:
        counts[word] = counts.get(word, 0) + count
    return counts


async def token_breakdown(session: AsyncSession, *where: ColumnElement[bool]) -> Breakdown:
    """Tokens grouped by status and source; joined to their slot, so `where` may use either."""
    statement = (
        select(Token.status, Token.source, func.count(), func.count().filter(Token.is_emergency))
        .select_from(Token)
        .join(Slot, Slot.id == Token.slot_id)
        .where(*where)
        .group_by(Token.status, Token.source)
    )
    rows = (await session.execute(statement)).all()
    return Breakdown(
        by_status=_zero_filled(TokenStatus, ((status, n) for status, _, n, _ in rows)),
        by_source=_zero_filled(Source, ((source, n) for _, source, n, _ in rows)),
        emergencies=sum(emergencies for *_, emergencies in rows),
    )


def utilisation(held: int, offered: int) -> float:
    return round(100 * held / offered, 2) if offered else 0.0
