"""Fencing: which process owns each partition, by epoch.

RabbitMQ's single active consumer gives a partition to one process at a time, but a process
cut off from the broker may still hold deliveries in memory and try to decide them after
another process took over. Each owner claims a new epoch when it starts receiving; every
batch transaction locks the partition's row and checks its epoch, so a stale owner's batch
is refused before it writes anything. The same row lock serializes the rare transaction that
touches a second partition (a transfer to a colleague).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import partition_owners

__all__ = ["Fenced", "claim", "fence", "lock_partition"]

class Fenced(Exception):
    """Another process owns this partition now; this one must not write."""


async def claim(sessions: async_sessionmaker[AsyncSession], partition: int, owner: str) -> int:
    """Become the partition's owner: a new epoch that fences out every earlier one."""
    statement = insert(partition_owners).values(
        partition=partition, epoch=1, owner=owner, claimed_at=dt.datetime.now(dt.UTC))
    statement = statement.on_conflict_do_update(index_elements=["partition"], set_={
        "epoch": partition_owners.c.epoch + 1, "owner": owner,
        "claimed_at": statement.excluded.claimed_at,
    }).returning(partition_owners.c.epoch)
    async with sessions() as session, session.begin():
        return int(await session.scalar(statement))


async def fence(session: AsyncSession, partition: int, epoch: int) -> None:
    """Lock the partition for this transaction; refuse if our epoch is no longer current."""
    current = await session.scalar(
        select(partition_owners.c.epoch).where(partition_owners.c.partition == partition)
        .with_for_update())
    if current != epoch:
        raise Fenced(f"partition {partition} is at epoch {current}, not {epoch}")


async def lock_partition(session: AsyncSession, partition: int) -> None:
    """Take another partition's lock, so its owner waits for this transaction."""
    await session.execute(insert(partition_owners).values(
        partition=partition, epoch=0, owner="", claimed_at=dt.datetime.now(dt.UTC),
    ).on_conflict_do_nothing())
    await session.execute(select(partition_owners.c.epoch)
                          .where(partition_owners.c.partition == partition).with_for_update())
