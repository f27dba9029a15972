"""Statements sent straight to asyncpg, on a session's own connection and inside its
transaction, with the span and the error SQLAlchemy would have given them: a round's first
statement (start_round) and its write statement (batch_io).

Why: through SQLAlchemy's async session a statement costs this process about 340 us of CPU
(its async execution path: greenlet, cursor adapter, result), through asyncpg alone about
136, a bare round trip 88 (bench/statement_costs.py). With both of a round's statements
sent here, a round of one booking costs this process about 2,040 us of CPU where it cost
2,830 (decide_bench's sequential part, alternated with the session's way, medians of 11
runs at a load of 5-10; 860 -> 480 us inside the write statement's calls alone); PostgreSQL's
CPU is the same within the noise (1,370 -> 1,270 us). start_round costs 97 us here, 76
through asyncpg alone, 208 through the session (statement_costs.py, load 5.5).

The transaction stays the session's: SQLAlchemy's adapter of the asyncpg connection sends
BEGIN before the session's first statement, and its commit and rollback end the
transaction. A round whose first statement is sent here has the adapter send BEGIN first
(`begin`, its own step, `_start_transaction`), once the session's transaction is begun, so
that the session's commit commits it. A statement sent here outside a transaction is
refused (it would commit alone), unless it is meant to (`fetch_alone`: the statements of a
round that is no transaction of its own, adapters/unit_of_work.py; `read`: a read that
needs none, such as colleagues' slots for a refusal's alternatives). What the session gave
besides, given here:
- **The span**: as the SQLAlchemy instrumentation's, under the current span (the command's
  decision), while tracing is on (`opd_shared.driver_statement`, shared with the read
  models' batches).
- **The error**: as the session raises it. SQLAlchemy's adapter of the asyncpg connection
  translates asyncpg's error into its DBAPI error (forgetting its transaction when the
  connection closed), and that is wrapped as SQLAlchemy's error of that kind (a CHECK
  refusing an over-allocation is an `IntegrityError`), flagged invalidated when the dialect
  calls it a disconnect. That flag is what makes a statement on a connection already closed
  (asyncpg: `InterfaceError: connection is closed`) transient, retried on a new connection,
  not the commands' failure (`opd_shared.database.is_transient`). Errors not asyncpg's
  (OSError, TimeoutError) pass as they are, as through the session.

The adapter's translation and its BEGIN are private methods (their version is pinned by
uv.lock; test_allocator_driver_calls and test_allocator_batches fail if their meaning
changes).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from opd_shared.driver_statement import DriverStatement, database_attributes

__all__ = ["DriverConnection"]


class DriverConnection:
    """The asyncpg connection under a SQLAlchemy connection, for statements of its
    transactions."""

    def __init__(self, connection: asyncpg.Connection, adapted: Any,
                 sessions_side: AsyncConnection) -> None:
        self.connection = connection
        self._adapted = adapted  # SQLAlchemy's adapter of it, the session's DBAPI connection
        self._sessions_side = sessions_side
        self._dialect = sessions_side.dialect
        url = sessions_side.engine.url
        self.attributes = database_attributes(url.database, url.username, url.host, url.port)

    @classmethod
    async def under(cls, connection: AsyncConnection) -> DriverConnection:
        raw = await connection.get_raw_connection()
        return cls(raw.driver_connection, raw.dbapi_connection, connection)

    async def begin(self) -> None:
        """BEGIN, sent as SQLAlchemy's adapter sends it before the first statement of the
        session's transaction (which must be begun): the session's commit or rollback ends
        it, as ever. Only for statements sent here first."""
        async with self._errors_as_the_session_raises("BEGIN"):
            await self._adapted._start_transaction()

    async def fetch(self, statement: DriverStatement,
                    parameters: Mapping[str, Any]) -> list[Any]:
        """The rows of `statement`, in the transaction the session's connection is in.
        Refused outside one: a statement sent before BEGIN would commit alone."""
        connection = self.connection
        if not connection.is_closed() and not connection.is_in_transaction():
            raise RuntimeError("a statement of a transaction sent outside of one")
        async with self._errors_as_the_session_raises(statement.sql):
            return await statement.fetch(connection, parameters, self.attributes)

    async def fetch_alone(self, statement: DriverStatement,
                          parameters: Mapping[str, Any]) -> list[Any]:
        """The rows of `statement`, run as a transaction of its own (PostgreSQL commits it
        as it ends). Refused inside a transaction, where it would not commit."""
        connection = self.connection
        if connection.is_in_transaction():
            raise RuntimeError("a statement meant to commit alone sent inside a transaction")
        async with self._errors_as_the_session_raises(statement.sql):
            return await statement.fetch(connection, parameters, self.attributes)

    async def read(self, statement: DriverStatement,
                   parameters: Mapping[str, Any]) -> list[Any]:
        """The rows of a read that needs no transaction of its own (one statement, one
        snapshot): in the transaction the connection is in, if any, else alone, so that a
        round alone stays one (adapters/unit_of_work.py)."""
        if self.connection.is_in_transaction():
            return await self.fetch(statement, parameters)
        return await self.fetch_alone(statement, parameters)

    async def fetch_value(self, statement: DriverStatement,
                          parameters: Mapping[str, Any]) -> Any:
        """The first column of the first row (all rows are fetched: asyncpg's `fetchval`
        would stop the statement's portal after one)."""
        rows = await self.fetch(statement, parameters)
        return rows[0][0] if rows else None

    @contextlib.asynccontextmanager
    async def _errors_as_the_session_raises(self, sql: str) -> AsyncIterator[None]:
        try:
            yield
        except Exception as error:
            dbapi_error = self._dialect.loaded_dbapi.Error
            try:
                self._adapted._handle_exception(error)  # raises its translation, or `error`
            except dbapi_error as translated:
                gone = self._dialect.is_disconnect(translated, self._adapted, None)
                if gone:  # as the session does: the pool must never hand it out again
                    await self._sessions_side.invalidate(translated)
                raise DBAPIError.instance(
                    sql, None, translated, dbapi_error, hide_parameters=True,
                    connection_invalidated=gone, dialect=self._dialect) from error
