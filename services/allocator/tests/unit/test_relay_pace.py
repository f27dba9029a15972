"""The outbox relay starts a call at most every `interval`: kicks that come while it waits
join one call, so under load a call carries several rounds' events (each call has a fixed
cost of three round trips on both sides). A kick after a quiet spell is relayed at once,
and a stop cuts the wait short."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any

from allocator.adapters.relay import CLAIM_DUE, OutboxRelay


class Connection:
    """Takes the relay's claims and finds nothing: the partitions of each call are what is
    told."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.called = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> Any:
        yield

    async def fetch(self, statement: str, which: list[int], limit: int) -> list[Any]:
        assert statement == CLAIM_DUE
        self.calls.append(which)
        self.called.set()
        return []

    async def next_call(self) -> list[int]:
        await asyncio.wait_for(self.called.wait(), 5)
        self.called.clear()
        return self.calls[-1]


class Pool:
    def __init__(self) -> None:
        self.connection = Connection()

    async def acquire(self) -> Connection:
        return self.connection

    async def release(self, connection: Connection) -> None:
        pass


async def test_kicks_while_the_relay_waits_for_its_interval_join_one_call():
    pool = Pool()
    relay = OutboxRelay(pool, exchange=None, interval=30.0)  # type: ignore[arg-type]
    relay.kick(1)
    assert await pool.connection.next_call() == [1]  # the first kick: at once
    relay.kick(3)
    await asyncio.sleep(0.05)  # the relay has had its turns: it waits
    relay.kick(2)
    assert pool.connection.calls == [[1]]
    await relay.stop()  # cuts the wait short, and relays what was kicked

    assert pool.connection.calls == [[1], [2, 3]]


async def test_a_kick_after_the_interval_is_relayed_at_once():
    pool = Pool()
    relay = OutboxRelay(pool, exchange=None, interval=0.01)  # type: ignore[arg-type]
    relay.kick(1)
    assert await pool.connection.next_call() == [1]
    await asyncio.sleep(0.05)
    relay.kick(2)
    assert await pool.connection.next_call() == [2]
    await relay.stop()

    assert pool.connection.calls == [[1], [2]]
