"""Several tables' array inserts (`opd_shared.readmodel.arrays`) in one statement: each a
data-modifying WITH query, the last the statement itself.

Why: a batch wrote each table in an execution of its own, some ten per batch (the current
rows, seven roll-ups, the moves), and each execution costs this process SQLAlchemy's and
asyncpg's round of work and PostgreSQL a parse, plan and round trip of its own (issue #13).
One statement with all of them is one of each, whatever the batch holds; a table with no
rows gets empty arrays and inserts nothing.

Every transaction runs the same statement, so takes the rows' locks in its one order: the
tables in one order (PostgreSQL runs the WITH queries one after another, the same way for
the same statement) and each table's rows in array order, which the callers sort.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from opd_shared.readmodel import ArrayInsert

__all__ = ["Together"]

_DIALECT = postgresql.dialect()
_quote = _DIALECT.identifier_preparer.quote
Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Together:
    """`inserts` by name, run in this order as one statement; parameters are named
    `<name>_<column>`, so two tables' columns of one name never meet."""

    inserts: tuple[tuple[str, ArrayInsert], ...]

    @functools.cached_property
    def statement(self) -> TextClause:
        parts = [_insert(name, insert) for name, insert in self.inserts]
        withs = ", ".join(f"write_{name} AS ({sql})" for (name, _), sql in zip(
            self.inserts[:-1], parts[:-1], strict=True))
        return text(f"WITH {withs} {parts[-1]}" if withs else parts[-1])

    def parameters(self, rows: Mapping[str, Rows]) -> dict[str, list[Any]]:
        """Every insert's arrays (empty for a name `rows` lacks)."""
        found: dict[str, list[Any]] = {}
        for name, insert in self.inserts:
            given = rows.get(name, ())
            for column in insert.columns:
                found[f"{name}_{column}"] = [row[column] for row in given]
        return found

    async def execute(self, session: AsyncSession, rows: Mapping[str, Rows]
                      ) -> Result[Any] | None:
        """One execution for all of them; none when no insert has a row."""
        if not any(rows.get(name) for name, _ in self.inserts):
            return None
        return await session.execute(self.statement, self.parameters(rows))


def _unnest_of(name: str, table: Table, columns: Sequence[str]) -> str:
    """`unnest(...)` of one array parameter per column, named `<name>_<column>`."""
    return "unnest({})".format(", ".join(
        f"CAST(:{name}_{column} AS {table.c[column].type.compile(dialect=_DIALECT)}[])"
        for column in columns))


def _insert(name: str, insert: ArrayInsert) -> str:
    """`insert.statement` with its parameters renamed `<name>_<column>`."""
    returning = (" RETURNING " + ", ".join(map(_quote, insert.returning))
                 if insert.returning else "")
    return (f"INSERT INTO {_quote(insert.table.name)}"
            f" ({', '.join(map(_quote, insert.columns))})"
            f" SELECT * FROM {_unnest_of(name, insert.table, insert.columns)}"
            f" {insert.conflict}{returning}")
