"""Array inserts (`opd_shared.readmodel.ArrayInsert`) as the WITH queries of one statement.

Why: a batch's claim and its doctors', slots' and tokens' snapshots were four executions,
and each costs this process SQLAlchemy's and asyncpg's round of work and PostgreSQL a bind,
an execution and a round trip of its own. As one statement they are one of each, whatever
the batch holds; an insert with no rows gets empty arrays and inserts nothing.

Each insert's parameters are named `<name>_<column>`, so two tables' columns of one name
never meet. Every transaction runs the same statement, so it takes its rows' locks in one
order: PostgreSQL runs the WITH queries of one statement the same way every time, and each
table's rows go in array order, which the callers sort.

(Queue-view has this module too, and analytics builds the same kind of statement in
`analytics.together`: a shared version in `opd_shared.readmodel` would serve all three.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects import postgresql

from opd_shared.readmodel import ArrayInsert

__all__ = ["array_insert_sql", "parameters_of", "unnest_of"]

_DIALECT = postgresql.dialect()
_quote = _DIALECT.identifier_preparer.quote
Rows = Sequence[Mapping[str, Any]]


def unnest_of(name: str, columns: Iterable[Column[Any]]) -> str:
    """`unnest(...)`'s arguments: an array parameter `<name>_<column>` per column, cast to
    an array of the column's type."""
    return ", ".join(f"CAST(:{name}_{column.name} AS {column.type.compile(dialect=_DIALECT)}[])"
                     for column in columns)


def array_insert_sql(name: str, insert: ArrayInsert, returning: Sequence[str] = ()) -> str:
    """`insert.statement`'s SQL with its array parameters named `<name>_<column>`."""
    arrays = unnest_of(name, (insert.table.c[column] for column in insert.columns))
    ending = " RETURNING " + ", ".join(map(_quote, returning)) if returning else ""
    return (f"INSERT INTO {_quote(insert.table.name)}"
            f" ({', '.join(map(_quote, insert.columns))})"
            f" SELECT * FROM unnest({arrays}) {insert.conflict}{ending}")


def parameters_of(name: str, columns: Iterable[str], rows: Rows) -> dict[str, list[Any]]:
    """The arrays `unnest_of(name, columns)` binds: one per column."""
    return {f"{name}_{column}": [row[column] for row in rows] for column in columns}
