"""A SQLAlchemy statement sent straight to asyncpg: compiled once, traced as SQLAlchemy's
instrumentation traces the statements it runs.

Why: SQLAlchemy's async layers around a statement (session, connection, result, the
greenlet's switches) cost more of a process's CPU than the statement's own client work.
Through the session a statement cost the allocator ~340 us of CPU, through asyncpg alone
~136 (services/allocator/bench/statement_costs.py); a read model's transaction of three
statements ~790-900 us through a session, ~265-290 on the asyncpg connection (issue #13,
ninth session). So the allocator's round statements (`allocator.adapters.driver_calls`) and
the read models' batches (`opd_shared.readmodel.driver`) are sent here, one way for both.

The statements stay SQLAlchemy's to build (`text`, `select`): each is compiled once by its
asyncpg dialect, its named parameters become `$n` in the order compiled, and values go to
asyncpg as they are (these statements' parameters carry no type that processes a value).

**The span**: `opentelemetry-instrumentation-sqlalchemy` (opd_shared.tracing) makes a CLIENT
span of each statement it runs, under the current span, named after the statement's first
word and the database, with the statement's text and never its parameters. A statement sent
here gets the same while tracing is on; while it is off, nothing is made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from opd_shared.tracing import enabled as tracing_enabled

__all__ = ["DriverStatement", "database_attributes"]

_DIALECT = PGDialect_asyncpg()
_tracer = trace.get_tracer(__name__)


def database_attributes(database: str | None, user: str | None = None,
                        host: str | None = None, port: int | None = None
                        ) -> dict[str, str | int]:
    """A statement span's attributes of its database, as the SQLAlchemy instrumentation's."""
    return {"db.system": "postgresql", "db.name": database or "", "db.user": user or "",
            "net.peer.name": host or "", "net.peer.port": port or 5432}


@dataclass(frozen=True)
class DriverStatement:
    """A statement as asyncpg takes it: `$n` placeholders, and the names of its parameters
    in their order."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, clause: ClauseElement) -> Self:
        """Compiled by SQLAlchemy's asyncpg dialect, as a session would have sent it. An
        expanding parameter (`column.in_(list)`) is refused: it is rendered for each call."""
        compiled = clause.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("an expanding parameter is rendered per call: use = ANY(array)")
        return cls(compiled.string, tuple(compiled.positiontup or ()))

    @property
    def operation(self) -> str:
        return self.sql.split(maxsplit=1)[0]

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        return [parameters[name] for name in self.names]

    @contextlib.contextmanager
    def traced(self, attributes: Mapping[str, str | int]) -> Iterator[None]:
        """Its span while it runs, when tracing is on."""
        if not tracing_enabled():
            yield
            return
        with _tracer.start_as_current_span(
                f"{self.operation} {attributes.get('db.name', '')}".rstrip(),
                kind=SpanKind.CLIENT, attributes={**attributes, "db.statement": self.sql}):
            yield

    async def fetch(self, connection: asyncpg.Connection, parameters: Mapping[str, Any],
                    attributes: Mapping[str, str | int]) -> list[asyncpg.Record]:
        """Its rows, on `connection`, in whatever transaction it is in."""
        with self.traced(attributes):
            return await connection.fetch(self.sql, *self.arguments(parameters))

    async def execute(self, connection: asyncpg.Connection, parameters: Mapping[str, Any],
                      attributes: Mapping[str, str | int]) -> None:
        """Run for its effect: no rows are built."""
        with self.traced(attributes):
            await connection.execute(self.sql, *self.arguments(parameters))
