"""What one commit lane of the allocator keeps from one transaction to the next.

One long-lived session (not expired on commit, never autoflushed) holds the schedules the
cache hands out, so a batch changes them in place and its write statement writes only the
records its change tracking found changed (adapters/record_writes.py):
no schedule is rebuilt per command, and none is copied back into a session (`merge` would
walk every token of it). The session's identity map is weak: a schedule the cache lets go
of leaves the session with it. The session keeps its connection too, so a transaction
starts without a checkout and its ping; a broken connection fails the transaction, which
is retried on a new one. The asyncpg connection under it is kept too, for the round's
write statement (driver_calls.py). A pool of record ids lives here as well, and how many
rounds must still read before deciding after one that did not raced (unit_of_work.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from allocator.adapters.driver_calls import DriverConnection
from allocator.adapters.record_ids import RecordIds
from allocator.adapters.schedule_cache import ScheduleCache

__all__ = ["Workspace"]

log = logging.getLogger(__name__)


class Workspace:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cache_size: int,
                 cache_tokens: int | None = None) -> None:
        self._sessions = sessions
        self.session: AsyncSession | None = None
        self._connection: AsyncConnection | None = None
        self.driver: DriverConnection | None = None  # under `_connection`
        self.cache = ScheduleCache(cache_size, cache_tokens)
        self.ids = RecordIds()
        self.day: dt.date | None = None  # the hospital's date the cached schedules start at
        self.reads_owed = 0  # rounds that read first, however cached (unit_of_work.py)

    async def open(self) -> tuple[AsyncSession, DriverConnection]:
        """The session, and the asyncpg connection under it."""
        if self.session is None or self.driver is None:
            engine: AsyncEngine = self._sessions.kw["bind"]
            self._connection = await engine.connect()
            self.driver = await DriverConnection.under(self._connection)
            self.session = self._sessions(bind=self._connection, autoflush=False,
                                          expire_on_commit=False)
        return self.session, self.driver

    async def forget(self) -> None:
        """Trust nothing loaded so far: after a rollback, a new epoch or a day change. Giving
        the connection back to the pool rolls back whatever transaction it still had open."""
        self.cache.clear()
        session, connection = self.session, self._connection
        self.session = self._connection = self.driver = None
        try:
            if session is not None:
                await session.close()
            if connection is not None:
                await connection.close()
        except Exception:
            # A connection the database dropped: the pool must not hand it out again.
            log.info("discarding a broken database connection", exc_info=True)
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.invalidate()

    async def start_day(self, day: dt.date) -> None:
        """Cached schedules hold slots from their day on; a new day starts from scratch."""
        if day != self.day:
            await self.forget()
            self.day = day
