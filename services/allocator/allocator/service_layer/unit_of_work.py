"""One transaction for a batch of commands, one savepoint for each command in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.messages import Inbox, Outbox
from allocator.adapters.repository import ScheduleRepository
from allocator.domain.fairness import FairnessPolicy

__all__ = ["UnitOfWork"]


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], partition: int,
                 partitions: int, fairness: FairnessPolicy) -> None:
        self._sessions = sessions
        self.partition = partition
        self.partitions = partitions
        self.fairness = fairness

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        await self.lock_partition(self.partition)
        self.schedules = ScheduleRepository(self.session, self.partitions, self.fairness)
        self.inbox = Inbox(self.session)
        self.outbox = Outbox(self.session, self.partition)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if kind is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def lock_partition(self, partition: int) -> None:
        """Fencing: two processes that both believe they own a partition (a failover in
        progress) take turns here, and the inbox makes the second one's work a replay."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7_000_000 + partition}
        )

    async def commit(self) -> None:
        await self.session.commit()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with self.session.begin_nested():
            yield
