"""A statement sent straight to asyncpg, on a session's own connection and inside its
transaction, with the span and the error SQLAlchemy would have given it.

Why: through SQLAlchemy's async session a statement costs this process about 340 us of CPU
(its async execution path: greenlet, cursor adapter, result), through asyncpg alone about
136, a bare round trip 88 (bench/statement_costs.py). Sending a round's write statement
straight to asyncpg saved 280 us a round of one booking (940 -> 662). What the session gave
besides, given here:
- **The span**: `opentelemetry-instrumentation-sqlalchemy` (opd_shared.tracing) makes a
  CLIENT span of each statement it runs, under the current span (the command's decision),
  named after the statement's first word and the database, with the statement's text and
  never its parameters. A statement sent here gets the same, while tracing is on; while it
  is off, nothing is made.
- **The error**: as the session raises it. SQLAlchemy's adapter of the asyncpg connection
  translates asyncpg's error into its DBAPI error (forgetting its transaction when the
  connection closed), and that is wrapped as SQLAlchemy's error of that kind (a CHECK
  refusing an over-allocation is an `IntegrityError`), flagged invalidated when the dialect
  calls it a disconnect. That flag is what makes a statement on a connection already closed
  (asyncpg: `InterfaceError: connection is closed`) transient, retried on a new connection,
  not the commands' failure (`opd_shared.database.is_transient`). Errors not asyncpg's
  (OSError, TimeoutError) pass as they are, as through the session. The adapter's
  translation is a private method (its version is pinned by uv.lock;
  test_allocator_driver_calls and test_allocator_batches fail if its meaning changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import TextClause
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from opd_shared.tracing import enabled as tracing_enabled

__all__ = ["DriverConnection", "DriverStatement", "driver_statement"]

_DIALECT = PGDialect_asyncpg()
_tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class DriverStatement:
    """A `text()` statement as asyncpg takes it: `$n` placeholders, and the names of its
    parameters in their order."""

    sql: str
    names: tuple[str, ...]

    @property
    def operation(self) -> str:
        return self.sql.split(maxsplit=1)[0]


def driver_statement(clause: TextClause) -> DriverStatement:
    """Compiled by SQLAlchemy's asyncpg dialect, as the session would have sent it."""
    compiled = clause.compile(dialect=_DIALECT)
    return DriverStatement(compiled.string, tuple(compiled.positiontup or ()))


class DriverConnection:
    """The asyncpg connection under a SQLAlchemy connection, for statements of its
    transactions."""

    def __init__(self, connection: asyncpg.Connection, adapted: Any,
                 sessions_side: AsyncConnection) -> None:
        self.connection = connection
        self._adapted = adapted  # SQLAlchemy's adapter of it, the session's DBAPI connection
        self._dialect = sessions_side.dialect
        url = sessions_side.engine.url
        self.database = url.database
        self.attributes: dict[str, str | int] = {
            "db.system": "postgresql", "db.name": url.database or "",
            "db.user": url.username or "", "net.peer.name": url.host or "",
            "net.peer.port": url.port or 5432}

    @classmethod
    async def under(cls, connection: AsyncConnection) -> DriverConnection:
        raw = await connection.get_raw_connection()
        return cls(raw.driver_connection, raw.dbapi_connection, connection)

    async def fetch_value(self, statement: DriverStatement,
                          parameters: Mapping[str, Any]) -> Any:
        """The first column of the first row, in the transaction the session's connection
        is in. Refused outside one: the session's connection sends BEGIN with its first
        statement, not when it is begun, and a statement sent before would commit alone."""
        connection = self.connection
        if not connection.is_closed() and not connection.is_in_transaction():
            raise RuntimeError("a statement of a transaction sent outside of one")
        arguments = [parameters[name] for name in statement.names]
        if not tracing_enabled():
            return await self._fetch_value(statement, arguments)
        with _tracer.start_as_current_span(
                f"{statement.operation} {self.database}", kind=SpanKind.CLIENT,
                attributes={**self.attributes, "db.statement": statement.sql}):
            return await self._fetch_value(statement, arguments)

    async def _fetch_value(self, statement: DriverStatement, arguments: list[Any]) -> Any:
        try:
            return await self.connection.fetchval(statement.sql, *arguments)
        except Exception as error:
            wrapped = self._as_the_session_raises(statement, error)
            if wrapped is error:
                raise
            raise wrapped from error

    def _as_the_session_raises(self, statement: DriverStatement,
                               error: Exception) -> BaseException:
        dbapi_error = self._dialect.loaded_dbapi.Error
        try:
            self._adapted._handle_exception(error)  # raises its translation, or `error`
        except dbapi_error as translated:
            return DBAPIError.instance(
                statement.sql, None, translated, dbapi_error, hide_parameters=True,
                connection_invalidated=self._dialect.is_disconnect(translated, self._adapted,
                                                                   None),
                dialect=self._dialect)
        except Exception as untranslated:
            return untranslated
        return error  # not reached: the adapter always raises
