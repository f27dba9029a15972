"""Many rows in one statement: one array per column, turned back into rows by `unnest`.

Why: asyncpg's executemany runs a statement once per row, and PostgreSQL counts (and pays
for) each run: in the system bench (issue #13, 5,600 bookings) every read model's upserts
of tokens, slots, history and roll-ups showed calls == rows, some 5,600 executions per
table, and executemany was 16% of analytics' CPU under load. The same rows as arrays are
one execution per table per batch, whatever the batch's size, and one prepared statement
(a VALUES list would be a new statement for every number of rows).

    INSERT INTO t (a, b) SELECT * FROM unnest(CAST(:a AS bigint[]), CAST(:b AS text[]))
    ON CONFLICT ...

Rows go in array order, so a caller that sorts them keeps its lock order. One statement
may not update the same row twice: the rows of one `ArrayInsert` that conflicts with
DO UPDATE must have distinct keys (each caller already keeps one row per key).

Or the rows as one array of the table's own row type (`records_sql`), the rows as they are
(dicts: asyncpg writes each as a record of the table's type, its fields by name; a column a
row lacks is NULL, a key that is no column an error):

    INSERT INTO t (a, b) SELECT a, b FROM unnest(CAST(:t AS t[])) ON CONFLICT ...

Why: asyncpg checks every element of an array parameter against abstract base classes before
encoding it (is it itself an array?), some 0.3 µs an element: for analytics' write, ~100
arrays a batch, that and the columns' lists were a fifth of its CPU (issue #13). A record's
fields are encoded without that check, and PostgreSQL reads one array of records for less
than the columns' arrays. Measured on 40 token rows of 21 columns, per row (the client's
encoding, the backend's CPU): column arrays 6.5-7.5 and 2.9-3.4 µs, records 5.8-6.0 and
2.0-2.1 µs, the same rows as JSON (`jsonb_populate_recordset`) 3.2-4.0 (`to_json`
included) and 5.8-8.4 µs. Every table has its row type, so this needs nothing in the schema.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Result,
    Table,
    TextClause,
    any_,
    bindparam,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["ArrayInsert", "adding", "column_arrays", "ignoring", "one_of", "replacing"]

_DIALECT = postgresql.dialect()
_quote = _DIALECT.identifier_preparer.quote


@dataclass(frozen=True)
class ArrayInsert:
    """An INSERT of `columns` from one array parameter each (or from one array of records,
    `records_sql`), then `conflict` (already SQL)."""

    table: Table
    columns: tuple[str, ...]
    conflict: str
    returning: tuple[str, ...] = ()

    @functools.cached_property
    def statement(self) -> TextClause:
        arrays = column_arrays((name, self.table.c[name]) for name in self.columns)
        return text(self._from("*", f"unnest({arrays})"))

    def records_sql(self, parameter: str) -> str:
        """The statement with the rows in one parameter, `parameter`: an array of the table's
        row type, given as the rows themselves (dicts keyed by column)."""
        # By name: the row type's fields are in the table's order, which may not be
        # `columns`' (analytics' tokens gained columns in later migrations).
        return self._from(", ".join(map(_quote, self.columns)),
                          f"unnest(CAST(:{parameter} AS {_quote(self.table.name)}[]))")

    def arrays(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        return {name: [row[name] for row in rows] for name in self.columns}

    def _from(self, selected: str, source: str) -> str:
        returning = (" RETURNING " + ", ".join(map(_quote, self.returning))
                     if self.returning else "")
        return (f"INSERT INTO {_quote(self.table.name)}"
                f" ({', '.join(map(_quote, self.columns))})"
                f" SELECT {selected} FROM {source} {self.conflict}{returning}")

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]
                      ) -> Result[Any] | None:
        """One execution for all `rows` (none for no rows)."""
        if not rows:
            return None
        return await session.execute(self.statement, self.arrays(rows))


def column_arrays(parameters: Iterable[tuple[str, Column[Any]]]) -> str:
    """`unnest(...)`'s arguments for rows that are no table's: an array parameter of each
    name, cast to an array of its column's type."""
    return ", ".join(f"CAST(:{name} AS {column.type.compile(dialect=_DIALECT)}[])"
                     for name, column in parameters)


def _key(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


@functools.cache
def replacing(table: Table, *, newer_only: bool) -> ArrayInsert:
    """Insert rows keyed by the primary key, or replace every other column of those present;
    with `newer_only`, only where the present row has an older `version`."""
    key = _key(table)
    others = [c.name for c in table.columns if c.name not in key]
    sets = ", ".join(f"{_quote(c)} = EXCLUDED.{_quote(c)}" for c in others)
    guard = (f" WHERE {_quote(table.name)}.version < EXCLUDED.version" if newer_only else "")
    return ArrayInsert(table, tuple(c.name for c in table.columns),
                       f"ON CONFLICT ({', '.join(map(_quote, key))}) DO UPDATE SET {sets}{guard}")


@functools.cache
def adding(table: Table) -> ArrayInsert:
    """Insert counts keyed by the primary key, or add them to those present."""
    key = _key(table)
    counts = [c.name for c in table.columns if c.name not in key]
    sets = ", ".join(f"{_quote(c)} = {_quote(table.name)}.{_quote(c)} + EXCLUDED.{_quote(c)}"
                     for c in counts)
    return ArrayInsert(table, tuple(c.name for c in table.columns),
                       f"ON CONFLICT ({', '.join(map(_quote, key))}) DO UPDATE SET {sets}")


@functools.cache
def ignoring(table: Table, columns: tuple[str, ...] | None = None,
             returning: tuple[str, ...] = ()) -> ArrayInsert:
    """Insert rows, skipping those whose key is present (and, with `returning`, say which
    went in). `columns`: those the rows give (all by default; the rest take their default)."""
    names = columns or tuple(c.name for c in table.columns)
    return ArrayInsert(table, names, "ON CONFLICT DO NOTHING", returning)


def one_of(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column = ANY(:ids)`: one array parameter, so the statement is prepared once whatever
    the number of ids (`column.in_(ids)` is rendered anew for every number of ids).

    Being one statement, it soon runs on PostgreSQL's generic plan, made without the ids and
    kept until the table's statistics change: fine on an index that finds few rows whatever
    the statistics (a primary key, a partial index of few rows), costly where the plan may
    scan the table. The notifier measured that: a look-up in a table nearly empty when its
    plan was made went from 0.04 to 9 ms a call (a scan testing each row against ~500 ids).
    """
    return column == any_(bindparam(None, sorted(ids), type_=ARRAY(BigInteger)))
