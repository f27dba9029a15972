"""Slot and token ids, drawn from the database's sequence many at a time.

A sequence value is never handed out twice, even when the transaction that drew it rolls
back, so the pool may outlive any batch: an unused value is only a gap in the ids.
"""

from __future__ import annotations

from collections import deque

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from allocator.adapters.orm import record_ids

__all__ = ["RecordIds"]


class RecordIds:
    def __init__(self, refill: int = 128) -> None:
        self.refill = refill
        self.pool: deque[int] = deque()

    def wanted(self, count: int) -> int:
        """How many to draw so that `count` are ready: none, or a whole refill."""
        missing = count - len(self.pool)
        return max(missing, self.refill) if missing > 0 else 0

    def add(self, values: list[int]) -> None:
        self.pool.extend(values)

    async def reserve(self, session: AsyncSession, count: int) -> None:
        """Have at least `count` values ready, in one round trip."""
        if wanted := self.wanted(count):
            drawn = await session.scalars(select(record_ids.next_value()).select_from(
                func.generate_series(1, wanted)))
            self.add([int(v) for v in drawn])

    async def take(self, session: AsyncSession, partition: int, partitions: int) -> int:
        """An id whose remainder is the partition, so the gateway can route by id."""
        await self.reserve(session, 1)
        return self.pool.popleft() * partitions + partition
