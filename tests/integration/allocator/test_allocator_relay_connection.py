"""The outbox relay keeps its connection from one call to the next (taking one from the pool
and giving it back cost ~25 us of CPU a call), and a call that failed on a broken one gives
it back: the next call relays on a new one, the failed call's events included."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Generator
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import outbox
from allocator.adapters.relay import OutboxRelay


class Broker:
    """An events exchange that confirms at once, and tells what it was handed."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.arrived = asyncio.Event()

    async def publish(self, message, routing_key: str) -> None:
        self.published.append(message.message_id)
        self.arrived.set()

    async def next(self) -> None:
        await asyncio.wait_for(self.arrived.wait(), 10)
        self.arrived.clear()


class Pool:
    """The relay's pool, counting the connections it hands out (awaited, or in `async
    with`, as asyncpg's)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.handed: list[asyncpg.Connection] = []

    def acquire(self) -> Acquiring:
        return Acquiring(self)

    async def take(self) -> asyncpg.Connection:
        connection = await self.pool.acquire()
        self.handed.append(connection)
        return connection

    async def release(self, connection: asyncpg.Connection) -> None:
        await self.pool.release(connection)


class Acquiring:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def __await__(self) -> Generator[Any, None, asyncpg.Connection]:
        return self.pool.take().__await__()

    async def __aenter__(self) -> asyncpg.Connection:
        self.connection = await self.pool.take()
        return self.connection

    async def __aexit__(self, *_: object) -> None:
        await self.pool.release(self.connection)


async def _commit_event(sessions: async_sessionmaker[AsyncSession], event_id: str) -> None:
    async with sessions.begin() as session:
        await session.execute(insert(outbox).values(
            partition=0, routing_key="token.allocated", event={"event_id": event_id},
            created_at=dt.datetime.now(dt.UTC)))


async def test_the_relay_keeps_its_connection_from_one_call_to_the_next(sessions, relaying):
    pool, broker = Pool(relaying), Broker()
    relay = OutboxRelay(pool, broker, deflate=True)  # type: ignore[arg-type]
    for event_id in ("first", "second", "third"):
        await _commit_event(sessions, event_id)
        relay.kick(0)
        await broker.next()
    await relay.stop()

    assert broker.published == ["first", "second", "third"]
    assert len(pool.handed) == 1
    assert relaying.get_idle_size() == relaying.get_size()  # given back at the stop


async def _settled(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Until every committed event is marked published: the relay's call has committed."""
    for _ in range(100):
        async with sessions() as session:
            if not await session.scalar(select(func.count()).select_from(outbox).where(
                    outbox.c.published_at.is_(None))):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("events left unpublished")


async def test_a_call_on_a_broken_connection_gives_it_back_and_the_next_relays_on_another(
        sessions, relaying, caplog):
    pool, broker = Pool(relaying), Broker()
    relay = OutboxRelay(pool, broker, deflate=True)  # type: ignore[arg-type]
    await _commit_event(sessions, "first")
    relay.kick(0)
    await _settled(sessions)
    pool.handed[0].terminate()  # as a restart of the database leaves it

    await _commit_event(sessions, "second")
    relay.kick(0)  # fails: left in the outbox
    for _ in range(100):
        if any("relaying events" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    await _commit_event(sessions, "third")
    relay.kick(0)
    await _settled(sessions)
    await relay.stop()

    assert broker.published == ["first", "second"]  # the second message: second and third
    assert len(pool.handed) == 2
