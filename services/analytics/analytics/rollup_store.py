"""Writing roll-up deltas: one full row per key, the rows of each roll-up table as arrays
(`opd_shared.readmodel.arrays.adding`), all in the batch's one write (`state.State.write`).
Executed once per row, they were some 3,000-5,600 runs per table for 5,600 bookings
(issue #13)."""

from __future__ import annotations

from typing import Any

from analytics.rollup_tables import ROLLUPS
from analytics.rollups import Delta
from opd_shared.readmodel import adding, table_of

__all__ = ["ADDING", "rollup_records"]


# Per table, its key columns and its count columns.
_SHAPES = {name: ([c.name for c in table_of(model).primary_key.columns],
                  [c.name for c in table_of(model).columns if not c.primary_key])
           for name, model in ROLLUPS.items()}


def rollup_records(changes: Delta) -> dict[str, list[dict[str, Any]]]:
    """Per table, one full row per key (every count column present), sorted by key."""
    grouped: dict[str, dict[tuple[Any, ...], dict[str, int]]] = {name: {} for name in ROLLUPS}
    for (name, key, column), n in changes.items():
        if (table := grouped.get(name)) is not None:
            counts = table.setdefault(key, {})
            counts[column] = counts.get(column, 0) + n
    records: dict[str, list[dict[str, Any]]] = {}
    for name, (keys, columns) in _SHAPES.items():
        records[name] = [{**dict(zip(keys, key, strict=True)),
                          **{c: counts.get(c, 0) for c in columns}}
                         for key, counts in sorted(grouped[name].items())]
    return records


# Add to the counts; tables and keys in one fixed order, so concurrent transactions never
# take the same rows' locks in opposite orders.
ADDING = tuple((name, adding(table_of(model))) for name, model in ROLLUPS.items())
