"""Writing roll-up deltas."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollup_tables import ROLLUPS
from analytics.rollups import Delta
from opd_shared.readmodel.tables import table_of

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


def _adding(table: Table) -> Any:
    statement = insert(table)
    counts = [c.name for c in table.columns if not c.primary_key]
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={c: table.c[c] + statement.excluded[c] for c in counts},
    )


# Built once: executed with a list of rows (asyncpg's executemany), one prepared statement.
_ADD = {name: _adding(table_of(model)) for name, model in ROLLUPS.items()}


async def apply_delta(session: AsyncSession, changes: Delta) -> None:
    """Add to the counts; tables and keys in one fixed order, so concurrent transactions
    never take the same rows' locks in opposite orders."""
    for name, records in rollup_records(changes).items():
        if records:
            await session.execute(_ADD[name], records)
