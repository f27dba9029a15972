"""The outbox relay, told to stop, first publishes every event committed before the stop:
a graceful shutdown leaves nothing for the sweeper of a process that may never come back."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import aio_pika
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import outbox
from allocator.adapters.relay import OutboxRelay
from opd_shared.messaging import body_of


class SlowBroker:
    """An events exchange whose confirms wait until `confirm` is set."""

    def __init__(self) -> None:
        self.confirm, self.publishing = asyncio.Event(), asyncio.Event()
        self.published: list[str] = []
        self.bodies: list[bytes] = []

    async def publish(self, message: aio_pika.Message, routing_key: str) -> None:
        self.publishing.set()
        await self.confirm.wait()
        self.published.append(message.message_id)
        self.bodies.append(body_of(message))


async def _commit_event(sessions: async_sessionmaker[AsyncSession], partition: int,
                        event_id: str) -> None:
    async with sessions.begin() as session:
        await session.execute(insert(outbox).values(
            partition=partition, routing_key="token.allocated", event={"event_id": event_id},
            created_at=dt.datetime.now(dt.UTC)))


async def test_a_stop_during_a_slow_publish_still_publishes_what_committed_meanwhile(
        sessions, relaying):
    broker = SlowBroker()
    relay = OutboxRelay(relaying, broker, deflate=True)  # type: ignore[arg-type]
    await _commit_event(sessions, partition=0, event_id="first")
    relay.kick(0)
    await broker.publishing.wait()  # the relay is busy with partition 0

    await _commit_event(sessions, partition=1, event_id="second")
    relay.kick(1)  # a consumer's last batch, committed as the shutdown begins
    stopping = asyncio.create_task(relay.stop())
    await asyncio.sleep(0.05)  # the stop is asked for while the publish still waits
    broker.confirm.set()
    await stopping

    assert broker.published == ["first", "second"]
    async with sessions() as session:
        unsent = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
    assert unsent == 0


async def test_the_relay_publishes_the_committed_event_as_it_was_written_in_a_batch(
        sessions, relaying):
    broker = SlowBroker()
    broker.confirm.set()
    relay = OutboxRelay(relaying, broker, deflate=True)  # type: ignore[arg-type]
    event = {"event_id": "third", "seq": 7, "tokens": [{"id": 42, "patient_name": "Asha Rao"}]}
    async with sessions.begin() as session:
        await session.execute(insert(outbox).values(
            partition=0, routing_key="token.allocated", event=event,
            created_at=dt.datetime.now(dt.UTC)))

    relay.kick(0)
    await relay.stop()

    assert broker.published == ["third"]
    assert [json.loads(body) for body in broker.bodies] == [{"version": 2, "events": [event]}]
