"""Fencing: which process owns each partition, by epoch.

RabbitMQ's single active consumer gives a partition to one process at a time, but a process
cut off from the broker may still hold deliveries in memory and try to decide them after
another process took over. Each owner claims a new epoch when it starts receiving; every
transaction locks the rows of the partitions it decides for and checks their epochs, so a
stale owner's batch is refused before it writes anything. The same row lock serializes the
rare transaction that touches a second partition (a transfer to a colleague).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import partition_owners

__all__ = ["claim", "fenced", "lock_partition"]


async def claim(sessions: async_sessionmaker[AsyncSession], partition: int, owner: str) -> int:
    """Become the partition's owner: a new epoch that fences out every earlier one."""
    statement = insert(partition_owners).values(
        partition=partition, epoch=1, owner=owner, claimed_at=dt.datetime.now(dt.UTC))
    upsert = statement.on_conflict_do_update(index_elements=["partition"], set_={
        "epoch": partition_owners.c.epoch + 1, "owner": owner,
        "claimed_at": statement.excluded.claimed_at,
    }).returning(partition_owners.c.epoch)
    async with sessions() as session, session.begin():
        return int(await session.scalar(upsert))


def fenced(ours: Mapping[int, int], current: Mapping[int, int]) -> set[int]:
    """The partitions whose epoch is no longer ours (their rows locked by `start_round`)."""
    return {p for p, epoch in ours.items() if current.get(p) != epoch}


async def lock_partition(session: AsyncSession, partition: int) -> None:
    """Take another partition's lock, so its owner waits for this transaction."""
    await session.execute(insert(partition_owners).values(
        partition=partition, epoch=0, owner="", claimed_at=dt.datetime.now(dt.UTC),
    ).on_conflict_do_nothing())
    await session.execute(select(partition_owners.c.epoch)
                          .where(partition_owners.c.partition == partition).with_for_update())
