"""Several tables' inserts (`opd_shared.readmodel.arrays`) in one statement: each a
data-modifying WITH query, `write_<name>`, each table's rows one array of its row type
(`ArrayInsert.records_sql`), in a parameter `<name>`; then, if given, further WITH queries
and the statement's own query, which read the inserts' RETURNING as `write_<name>`.

Why: a batch wrote each table in an execution of its own (analytics some ten: the current
rows, seven roll-ups, the moves; queue-view five; the notifier four), and each execution
costs the process SQLAlchemy's and asyncpg's round of work and PostgreSQL a parse, plan and
round trip of its own (issue #13). One statement with all of them is one of each, whatever
the batch holds; a table with no rows gets an empty array and inserts nothing. The rows as
records rather than one array per column: each element of an array parameter is checked by
asyncpg before it is encoded, and PostgreSQL reads one array of records for less than the
columns' arrays (per token row of 21 columns, client 6.5-7.5 -> 5.8-6.0 µs, backend
2.9-3.4 -> 2.0-2.1; `arrays` says how that was measured).

Every transaction runs the same statement, so takes the rows' locks in its one order: the
tables in one order (PostgreSQL runs the WITH queries one after another, the same way for
the same statement) and each table's rows in array order, which the callers sort.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asyncpg import Connection, Record
from sqlalchemy import TextClause, text

from opd_shared.readmodel.arrays import ArrayInsert
from opd_shared.readmodel.driver import Statement

__all__ = ["Together"]

Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Together:
    """`inserts` by name, run in this order as one statement; each insert's rows are the
    parameter of its name. Without `answer`, the last insert is the statement itself; with
    it, every insert is a WITH query `write_<name>`, then `then` (more WITH queries, by name,
    as SQL) and `answer` (the statement's own query, as SQL), which may read them."""

    inserts: tuple[tuple[str, ArrayInsert], ...]
    then: tuple[tuple[str, str], ...] = ()
    answer: str | None = None

    @functools.cached_property
    def statement(self) -> TextClause:
        inserts, answer = list(self.inserts), self.answer
        if answer is None:
            if self.then:
                raise ValueError("WITH queries after the inserts need an answer to read them")
            last_name, last = inserts.pop()
            answer = last.records_sql(last_name)
        withs = [f"write_{name} AS ({insert.records_sql(name)})" for name, insert in inserts]
        withs += [f"{name} AS ({sql})" for name, sql in self.then]
        return text(f"WITH {', '.join(withs)} {answer}" if withs else answer)

    @functools.cached_property
    def on_driver(self) -> Statement:
        """The statement for an asyncpg connection (`opd_shared.readmodel.driver`)."""
        return Statement.of(self.statement)

    def parameters(self, rows: Mapping[str, Rows]) -> dict[str, list[Any]]:
        """Every insert's rows (none for a name `rows` lacks)."""
        return {name: list(rows.get(name, ())) for name, _ in self.inserts}

    async def fetch(self, connection: Connection, rows: Mapping[str, Rows], **more: Any
                    ) -> list[Record]:
        """One execution for all of them, whatever they hold, with `more` parameters (those
        `then` and `answer` take), on an asyncpg connection (`opd_shared.readmodel.driver`):
        its rows."""
        return await self.on_driver.fetch(connection, self.parameters(rows) | more)

    async def write(self, connection: Connection, rows: Mapping[str, Rows]) -> None:
        """One execution for all of them, on an asyncpg connection; none when no insert has a
        row."""
        if any(rows.get(name) for name, _ in self.inserts):
            await self.on_driver.execute(connection, self.parameters(rows))
