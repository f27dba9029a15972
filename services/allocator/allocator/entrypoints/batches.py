"""Deciding a batch of one partition's commands in one transaction, through database outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.ownership import Fenced, claim
from allocator.domain.fairness import FairnessPolicy
from allocator.service_layer.decide import decide
from allocator.service_layer.unit_of_work import UnitOfWork
from opd_shared.contracts import CommandEnvelope, Reply
from opd_shared.database import is_unreachable

__all__ = ["BatchDecider"]

log = logging.getLogger(__name__)


class BatchDecider:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], partition: int,
                 partitions: int, timezone: str, fairness: FairnessPolicy) -> None:
        self.sessions = sessions
        self.partition = partition
        self.partitions = partitions
        self.zone = ZoneInfo(timezone)
        self.fairness = fairness
        self.epoch: int | None = None  # claimed when deliveries start coming to us

    async def claim(self, owner: str) -> None:
        self.epoch = await claim(self.sessions, self.partition, owner)
        log.info("partition %d: owned by %s at epoch %d", self.partition, owner, self.epoch)

    async def decide(self, envelopes: list[CommandEnvelope]) -> list[Reply | Exception]:
        """A reply per command, or the error that stopped it (that command alone)."""
        delay = 0.2
        while True:
            try:
                return await self._once(envelopes)
            except Exception as error:
                if not is_unreachable(error):
                    raise
                log.warning("partition %d: database unavailable (%s); retrying in %.1fs",
                            self.partition, error.__class__.__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _once(self, envelopes: list[CommandEnvelope]) -> list[Reply | Exception]:
        now = dt.datetime.now(self.zone)
        results: list[Reply | Exception] = []
        if self.epoch is None:
            raise Fenced(f"partition {self.partition} is not claimed")
        async with UnitOfWork(self.sessions, self.partition, self.partitions,
                              self.fairness, self.epoch) as uow:
            for envelope in envelopes:
                try:
                    async with uow.savepoint():
                        results.append(await decide(uow, envelope, now))
                except Exception as error:
                    if is_unreachable(error):
                        raise
                    log.exception("partition %d: command %s failed", self.partition,
                                  envelope.command_id)
                    results.append(error)
            await uow.commit()
        return results
