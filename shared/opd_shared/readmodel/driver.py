"""A batch's transaction and statements on the asyncpg connection itself, under SQLAlchemy's
pool: what a read model's consumer runs for every batch, without SQLAlchemy's session,
connection and result layers around each statement.

Why: those layers cost more of a read model's CPU than the statements' own work in the
client. Measured on this 2-core machine (issue #13, ninth session; a scratch loop, the
thread's CPU, three rounds of 500): a transaction of three `SELECT 1` cost 790-900 us
through an `AsyncSession`, 670-745 through a Core connection, and 265-290 on the asyncpg
connection (the pool's check-out included); one `= ANY(:ids)` look-up 149-157 us through a
session, 49-53 on asyncpg. A read model's batch is a transaction of three to five such
statements whatever its size, so each event paid its share of ~0.6 ms.

The statements stay SQLAlchemy's to build (`text`, `select`): each is compiled once for
asyncpg (`Statement`), its named parameters become `$n` in the order compiled. Values go to
asyncpg as they are, as SQLAlchemy would pass them for these statements (their parameters
carry no type that processes a value), and rows come back as asyncpg's records (by key,
`row["id"]`, not by attribute).

The rest is as SQLAlchemy would have it: asyncpg's errors come out as SQLAlchemy's
`DBAPIError` with the asyncpg error as `orig` (what `opd_shared.database.is_transient` and
`opd_shared.retries.reason_for` read: a dead letter's reason stays "DBAPIError (SQLSTATE
22000)"); a connection that failed as unreachable is invalidated, so that the pool opens a
new one for the retry; and returning the connection rolls nothing back (SQLAlchemy began no
transaction on it: asyncpg's own `transaction()` did, and ended it).
"""

from __future__ import annotations

import functools
import weakref
from collections import namedtuple
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from asyncpg import Connection, InterfaceError, PostgresError, Record
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_shared.database import is_unreachable
from opd_shared.driver_statement import DriverStatement, database_attributes

__all__ = ["Statement", "batch_transaction", "driver_connection"]


class Statement(DriverStatement):
    """A read model's statement (`DriverStatement`) on the connection `driver_connection`
    gave, its span naming that connection's database."""

    async def fetch(self, connection: Connection,  # type: ignore[override]
                    parameters: Mapping[str, Any]) -> list[Record]:
        return await super().fetch(connection, parameters, _databases.get(connection, {}))

    async def rows(self, connection: Connection, parameters: Mapping[str, Any]
                   ) -> list[Any]:
        """`fetch`, each row a named tuple of the statement's columns (by attribute, as
        SQLAlchemy's rows), for code that reads rows both from here and elsewhere."""
        found = await self.fetch(connection, parameters)
        if not found:
            return []
        shape = _shape(tuple(found[0].keys()))
        return [shape._make(record.values()) for record in found]

    async def execute(self, connection: Connection,  # type: ignore[override]
                      parameters: Mapping[str, Any]) -> None:
        """Run it for its effect: no rows are built."""
        await super().execute(connection, parameters, _databases.get(connection, {}))


# Each connection's database, for its statements' spans (weakly: the pool may drop it).
_databases: weakref.WeakKeyDictionary[Connection, dict[str, str | int]] = (
    weakref.WeakKeyDictionary())


@functools.cache
def _shape(columns: tuple[str, ...]) -> type[Any]:
    return namedtuple("Row", columns)


@asynccontextmanager
async def batch_transaction(sessions: async_sessionmaker[AsyncSession]
                            ) -> AsyncIterator[Connection]:
    """One transaction on a pooled connection's asyncpg connection: committed when the block
    ends, rolled back when it raises."""
    async with driver_connection(sessions) as driver, driver.transaction():
        yield driver


@asynccontextmanager
async def driver_connection(sessions: async_sessionmaker[AsyncSession]
                            ) -> AsyncIterator[Connection]:
    """A pooled connection's asyncpg connection, outside any transaction: each statement is
    a transaction of its own (queue-view's one statement a batch)."""
    async with sessions() as session:
        connection = await session.connection()
        driver: Connection = (await connection.get_raw_connection()).driver_connection
        if driver not in _databases:
            url = connection.engine.url
            _databases[driver] = database_attributes(url.database, url.username, url.host,
                                                     url.port)
        try:
            yield driver
        except (PostgresError, InterfaceError, OSError, TimeoutError) as error:
            # A connection that died mid-transaction says so when the transaction ends
            # (asyncpg's InterfaceError "the underlying connection is closed"), not always
            # with an error `is_unreachable` knows.
            unreachable = is_unreachable(error) or driver.is_closed()
            if unreachable:
                await connection.invalidate()
            if isinstance(error, OSError | TimeoutError):
                raise
            raise DBAPIError(None, None, error, hide_parameters=True,
                             connection_invalidated=unreachable) from error
