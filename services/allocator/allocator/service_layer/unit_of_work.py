"""One transaction for a batch of commands, one savepoint for each command in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters import ownership
from allocator.adapters.messages import Inbox, Outbox
from allocator.adapters.repository import ScheduleRepository
from allocator.domain.fairness import FairnessPolicy

__all__ = ["UnitOfWork"]


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], partition: int,
                 partitions: int, fairness: FairnessPolicy, epoch: int) -> None:
        self._sessions = sessions
        self.partition = partition
        self.partitions = partitions
        self.fairness = fairness
        self.epoch = epoch

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        try:
            await ownership.fence(self.session, self.partition, self.epoch)
        except BaseException:
            await self.session.close()
            raise
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
        """A second partition's lock, for a decision that touches two doctors."""
        await ownership.lock_partition(self.session, partition)

    async def commit(self) -> None:
        await self.session.commit()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with self.session.begin_nested():
            yield
