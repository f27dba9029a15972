"""Writing roll-up deltas: one execution per roll-up table per batch, the rows as arrays
(`opd_shared.readmodel.arrays.adding`). Executed once per row, they were some 3,000-5,600
runs per table for 5,600 bookings (issue #13)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollup_tables import ROLLUPS
from analytics.rollups import Delta
from opd_shared.readmodel import adding, table_of

__all__ = ["apply_delta", "rollup_records"]


def rollup_records(changes: Delta) -> dict[str, list[dict[str, Any]]]:
    """Per table, one full row per key (every count column present), sorted by key."""
    grouped: dict[tuple[str, tuple[Any, ...]], dict[str, int]] = defaultdict(dict)
    for (name, key, column), n in changes.items():
        grouped[name, key][column] = grouped[name, key].get(column, 0) + n
    records: dict[str, list[dict[str, Any]]] = {}
    for name, model in ROLLUPS.items():
        table = table_of(model)
        keys = [c.name for c in table.primary_key.columns]
        counts = [c.name for c in table.columns if not c.primary_key]
        mine = sorted((key, cols) for (table_name, key), cols in grouped.items()
                      if table_name == name)
        records[name] = [{**dict(zip(keys, key, strict=True)),
                          **{c: cols.get(c, 0) for c in counts}} for key, cols in mine]
    return records


_ADD = {name: adding(table_of(model)) for name, model in ROLLUPS.items()}


async def apply_delta(session: AsyncSession, changes: Delta) -> None:
    """Add to the counts; tables and keys in one fixed order, so concurrent transactions
    never take the same rows' locks in opposite orders."""
    for name, records in rollup_records(changes).items():
        await _ADD[name].execute(session, records)
