"""A database outage loses no event and spends none of its tries: the consumer, on the
real broker, holds the event unacknowledged and tries again until the database is back.
(An event the database refuses still reaches the dead letters after its last try:
test_queue_view_delivery.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aio_pika
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from opd_contracts import EventType
from opd_shared.database import migrate
from opd_shared.retries import ATTEMPT_LIMIT
from queue_view.bootstrap import MIGRATIONS_DIR
from queue_view.consumer import CONSUMER, build_consumer, make_applier
from queue_view.models import DoctorProgress
from queue_view.settings import QueueViewSettings


class Outage:
    """The read model's sessions, but every transaction fails as a closed port does until
    `end()`: the database is away, not refusing anything."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.lost = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
        self.sessions, self.current, self.tries = sessions, async_sessionmaker(self.lost), 0

    def __call__(self):  # what the applier uses
        self.tries += 1
        return self.current()

    async def tried_enough(self) -> bool:
        return self.tries > 3 * ATTEMPT_LIMIT  # far more tries than an event is allowed

    async def end(self) -> None:
        self.current = self.sessions
        await self.lost.dispose()


async def _until(probe: Callable[[], Awaitable[object]], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await probe():
            return
        await asyncio.sleep(0.05)


async def _ready_and_dead(settings: QueueViewSettings) -> tuple[int, list[str | None]]:
    """Messages waiting in our queue, and the ids in the dead-letter queue."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.topology.consumer_queue(CONSUMER),
                                            passive=True)
        dead = await channel.get_queue(settings.topology.dead_letter_queue)
        ids = []
        while (message := await dead.get(no_ack=True, fail=False)) is not None:
            ids.append(message.message_id)
        return queue.declaration_result.message_count, ids


@pytest.fixture
async def publish(infra):
    """A fresh namespace with queue-view's queue and database, and a publisher of events."""
    settings = infra.settings(QueueViewSettings, infra.namespace("qvout"), batch_max=1,
                              db_retry_max_seconds=0.02)
    await migrate(settings.database_url, MIGRATIONS_DIR)
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await settings.topology.declare_consumer(channel, CONSUMER)
        exchange = await settings.topology.declare_events(channel)

        async def send(event) -> None:
            await exchange.publish(aio_pika.Message(event.model_dump_json().encode(),
                                                    message_id=str(event.event_id)),
                                   routing_key=event.type.value)

        yield settings, send


async def test_an_event_waits_out_an_outage_unacknowledged_and_is_applied_once_back(
    publish, events, monkeypatch
) -> None:
    monkeypatch.setattr("opd_shared.patience.FIRST_PAUSE", 0.01)
    settings, send = publish
    engine = create_async_engine(settings.database_url)
    outage = Outage(async_sessionmaker(engine, expire_on_commit=False))
    consumer = build_consumer(settings, make_applier(outage))  # type: ignore[arg-type]
    event = events.event(EventType.SLOT_OPENED, slots=[events.slot()])
    await consumer.start()
    try:
        await send(event)
        await _until(outage.tried_enough)
        during = await _ready_and_dead(settings)
        await outage.end()
        await _until(lambda: _progress(outage.sessions, events.doctor_id))
        after = await _progress(outage.sessions, events.doctor_id)
    finally:
        await consumer.stop()
        await engine.dispose()

    assert await outage.tried_enough()
    assert during == (0, [])  # held by the consumer all along, never dead-lettered
    assert after == (1, 1)
    assert await _ready_and_dead(settings) == (0, [])


async def _progress(sessions, doctor_id: int) -> tuple[int, int] | None:
    async with sessions() as session:
        row = await session.get(DoctorProgress, doctor_id)
        return None if row is None else (row.max_seq, row.applied_count)
