"""One partition's decider: its claim on the partition (an epoch), and its batches, decided
together with other partitions' batches (see group_commit) or, standing alone, by itself."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.ownership import claim
from allocator.domain.policy import Policy
from allocator.entrypoints.group_commit import GroupCommit, Result
from opd_contracts import CommandEnvelope

__all__ = ["BatchDecider"]

log = logging.getLogger(__name__)


class BatchDecider:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], partition: int,
                 partitions: int, timezone: str, policy: Policy,
                 cache_size: int = 256, group: GroupCommit | None = None) -> None:
        self.sessions = sessions
        self.partition = partition
        self.group = group or GroupCommit(sessions, partitions, timezone, policy, cache_size)
        self.epoch: int | None = None  # claimed when deliveries start coming to us

    async def claim(self, owner: str) -> None:
        """A new epoch: whatever another owner did meanwhile, start from the database."""
        self.epoch = await claim(self.sessions, self.partition, owner)
        await self.group.forget()
        log.info("partition %d: owned by %s at epoch %d", self.partition, owner, self.epoch)

    async def decide(self, envelopes: list[CommandEnvelope]) -> list[Result]:
        """A reply per command, or the error that stopped it (that command alone); raises
        Fenced when another process owns the partition now."""
        if not envelopes:
            return []
        return await self.group.decide(self, envelopes)
