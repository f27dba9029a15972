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


# Per table, its key columns and a row of zero counts.
_SHAPES = {name: (tuple(c.name for c in table_of(model).primary_key.columns),
                  {c.name: 0 for c in table_of(model).columns if not c.primary_key})
           for name, model in ROLLUPS.items()}


def rollup_records(changes: Delta) -> dict[str, list[dict[str, Any]]]:
    """Per table, one full row per key (every count column present), sorted by key.

    Each row is made once, at its key's first change, and the changes added into it: making
    the rows after grouping the changes cost a second dict per key, ~4 µs an event
    (`apply_cost.py`, issue #13).
    """
    tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {name: {} for name in ROLLUPS}
    for (name, key, column), n in changes.items():
        if (rows := tables.get(name)) is None:
            continue
        if (row := rows.get(key)) is None:
            keys, zeros = _SHAPES[name]
            row = rows[key] = {**zeros, **dict(zip(keys, key, strict=True))}
        row[column] += n
    return {name: [rows[key] for key in sorted(rows)] for name, rows in tables.items()}


# Add to the counts; tables and keys in one fixed order, so concurrent transactions never
# take the same rows' locks in opposite orders.
ADDING = tuple((name, adding(table_of(model))) for name, model in ROLLUPS.items())
