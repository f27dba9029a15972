"""Several tables' inserts (`opd_shared.readmodel.arrays`) in one statement: each a
data-modifying WITH query, the last the statement itself, each table's rows one array of
its row type (`ArrayInsert.records_sql`).

Why: a batch wrote each table in an execution of its own, some ten per batch (the current
rows, seven roll-ups, the moves), and each execution costs this process SQLAlchemy's and
asyncpg's round of work and PostgreSQL a parse, plan and round trip of its own (issue #13).
One statement with all of them is one of each, whatever the batch holds; a table with no
rows gets an empty array and inserts nothing. The rows as records rather than one array per
column: ~100 arrays a batch, each element checked by asyncpg before it is encoded, cost this
process more than records do, and PostgreSQL too (`apply_cost.py`: see the README).

Every transaction runs the same statement, so takes the rows' locks in its one order: the
tables in one order (PostgreSQL runs the WITH queries one after another, the same way for
the same statement) and each table's rows in array order, which the callers sort.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from opd_shared.readmodel import ArrayInsert

__all__ = ["Together"]

Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Together:
    """`inserts` by name, run in this order as one statement; each insert's rows are the
    parameter of its name."""

    inserts: tuple[tuple[str, ArrayInsert], ...]

    @functools.cached_property
    def statement(self) -> TextClause:
        parts = [insert.records_sql(name) for name, insert in self.inserts]
        withs = ", ".join(f"write_{name} AS ({sql})" for (name, _), sql in zip(
            self.inserts[:-1], parts[:-1], strict=True))
        return text(f"WITH {withs} {parts[-1]}" if withs else parts[-1])

    def parameters(self, rows: Mapping[str, Rows]) -> dict[str, list[Any]]:
        """Every insert's rows (none for a name `rows` lacks)."""
        return {name: list(rows.get(name, ())) for name, _ in self.inserts}

    async def execute(self, session: AsyncSession, rows: Mapping[str, Rows]
                      ) -> Result[Any] | None:
        """One execution for all of them; none when no insert has a row."""
        if not any(rows.get(name) for name, _ in self.inserts):
            return None
        return await session.execute(self.statement, self.parameters(rows))
