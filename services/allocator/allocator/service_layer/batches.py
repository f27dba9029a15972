"""One partition's decider: its claim on the partition (an epoch), and its batches, decided
together with other partitions' batches in its lane's rounds (see group_commit)."""

from __future__ import annotations

import logging

from allocator.service_layer.group_commit import GroupCommit, Result
from allocator.service_layer.ports import Claim
from opd_contracts import CommandEnvelope

__all__ = ["BatchDecider"]

log = logging.getLogger(__name__)


class BatchDecider:
    def __init__(self, partition: int, claim: Claim, group: GroupCommit) -> None:
        self.partition = partition
        self._claim = claim
        self.group = group
        self.epoch: int | None = None  # claimed when deliveries start coming to us

    async def claim(self, owner: str) -> None:
        """A new epoch: whatever another owner did meanwhile, start from the database."""
        self.epoch = await self._claim(self.partition, owner)
        await self.group.forget()
        log.info("partition %d: owned by %s at epoch %d", self.partition, owner, self.epoch)

    async def decide(self, envelopes: list[CommandEnvelope]) -> list[Result]:
        """A reply per command, or the error that stopped it (that command alone); raises
        Fenced when another process owns the partition now."""
        if not envelopes:
            return []
        return await self.group.decide(self, envelopes)
