"""The read models' batch consumer on the real broker: batches, acks after the apply, a bad
body dead-lettered, a failing event isolated, and a stop that loses nothing. The applier
is a recording fake: what is proven here is what the broker sees."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence

import aio_pika
import pytest

from opd_shared.contracts import EventEnvelope, EventType
from opd_shared.event_batches import EventBatchConsumer
from opd_shared.settings import ServiceSettings
from opd_shared.topology import DELIVERY_LIMIT, Topology

CONSUMER = "reader"
NOW = dt.datetime(2030, 1, 15, 8, 0, tzinfo=dt.UTC)


def _event(seq: int) -> EventEnvelope:
    return EventEnvelope(event_id=uuid.uuid4(), type=EventType.SLOT_OPENED, doctor_id=7,
                         seq=seq, occurred_at=NOW)


class Recorder:
    """Applies by remembering; refuses any batch holding a `poison` event; can be held."""

    def __init__(self, poison: frozenset[uuid.UUID] = frozenset()) -> None:
        self.batches: list[list[uuid.UUID]] = []
        self.poison = poison
        self.refusals = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.entered = asyncio.Event()
        self.changed = asyncio.Event()

    async def __call__(self, events: Sequence[EventEnvelope]) -> list[bool]:
        self.entered.set()
        await self.gate.wait()
        if self.poison & {event.event_id for event in events}:
            self.refusals += 1
            raise ValueError("refused: a value out of range")
        self.batches.append([event.event_id for event in events])
        self.changed.set()
        return [True] * len(events)

    async def reached(self, count: int) -> None:
        async with asyncio.timeout(20):
            while len(self.applied) < count:
                self.changed.clear()
                await self.changed.wait()

    @property
    def applied(self) -> list[uuid.UUID]:
        return [event_id for batch in self.batches for event_id in batch]


@pytest.fixture
async def broker(infra):
    """A fresh namespace with the consumer's queue declared; yields its topology, a
    publisher of bodies, and a reader of (ready messages, dead-lettered message ids)."""
    settings = infra.settings(ServiceSettings, infra.namespace("batches"))
    topology: Topology = settings.topology
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await topology.declare_consumer(channel, CONSUMER)
        exchange = await topology.declare_events(channel)

        async def publish(body: bytes, message_id: str) -> None:
            await exchange.publish(aio_pika.Message(body, message_id=message_id),
                                   routing_key=EventType.SLOT_OPENED.value)

        async def left() -> tuple[int, list[str | None]]:
            queue = await channel.declare_queue(topology.consumer_queue(CONSUMER), passive=True)
            dead = await channel.get_queue(topology.dead_letter_queue)
            ids = []
            while (message := await dead.get(no_ack=True, fail=False)) is not None:
                ids.append(message.message_id)
            return queue.declaration_result.message_count, ids

        yield settings, publish, left
        # Not one of the product's queues, so the session's namespace sweep does not know it.
        await channel.queue_delete(topology.consumer_queue(CONSUMER))


def _consumer(settings: ServiceSettings, recorder: Recorder, batch_max: int,
              window_s: float = 0.02) -> EventBatchConsumer:
    return EventBatchConsumer(consumer=CONSUMER, amqp_url=settings.amqp_url,
                              topology=settings.topology, apply=recorder,
                              batch_max=batch_max, window_s=window_s, max_pause=0.01)


async def _send(publish, events: list[EventEnvelope]) -> None:
    for event in events:
        await publish(event.model_dump_json().encode(), str(event.event_id))


async def test_waiting_events_are_applied_in_batches_in_queue_order_and_all_acked(broker):
    settings, publish, left = broker
    events = [_event(seq) for seq in range(1, 61)]
    await _send(publish, events)
    recorder = Recorder()
    consumer = _consumer(settings, recorder, batch_max=20)

    await consumer.start()
    await recorder.reached(len(events))
    await consumer.stop()

    assert recorder.applied == [event.event_id for event in events]
    assert max(len(batch) for batch in recorder.batches) > 1
    assert max(len(batch) for batch in recorder.batches) <= 20
    assert await left() == (0, [])  # every one acked: none back in the queue on close


async def test_events_arriving_one_by_one_within_the_window_share_a_batch(broker):
    settings, publish, left = broker
    recorder = Recorder()
    consumer = _consumer(settings, recorder, batch_max=50, window_s=1.0)
    await consumer.start()
    events = [_event(seq) for seq in range(1, 11)]

    await _send(publish, events)  # a few milliseconds apart, into a running consumer
    await recorder.reached(len(events))
    await consumer.stop()

    assert recorder.batches == [[event.event_id for event in events]]
    assert await left() == (0, [])


async def test_a_body_that_is_not_an_event_is_dead_lettered_and_the_rest_applied(broker):
    settings, publish, left = broker
    good = [_event(1), _event(2)]
    await _send(publish, good[:1])
    await publish(b'{"type": "slot.opened"}', "not-an-event")
    await _send(publish, good[1:])
    recorder = Recorder()
    consumer = _consumer(settings, recorder, batch_max=10)

    await consumer.start()
    await recorder.reached(2)
    await consumer.stop()

    assert recorder.applied == [event.event_id for event in good]
    assert await left() == (0, ["not-an-event"])


async def test_a_failing_event_is_isolated_and_dead_lettered_at_the_delivery_limit(broker):
    settings, publish, left = broker
    events = [_event(seq) for seq in range(1, 11)]
    poison = events[4]
    await _send(publish, events)
    recorder = Recorder(poison=frozenset({poison.event_id}))
    consumer = _consumer(settings, recorder, batch_max=10)

    await consumer.start()
    await recorder.reached(9)
    for _ in range(400):  # the poison's last deliveries may still be under way
        if (found := await left())[1]:
            break
        await asyncio.sleep(0.05)
    await consumer.stop()

    assert sorted(recorder.applied) == sorted(e.event_id for e in events if e is not poison)
    assert found == (0, [str(poison.event_id)])
    assert recorder.refusals >= DELIVERY_LIMIT  # given up only after its deliveries


async def test_a_stop_mid_batch_finishes_what_was_delivered_and_leaves_the_rest_queued(broker):
    settings, publish, left = broker
    events = [_event(seq) for seq in range(1, 31)]
    await _send(publish, events)
    recorder = Recorder()
    recorder.gate.clear()  # the first batch is held inside its apply
    consumer = _consumer(settings, recorder, batch_max=5)

    await consumer.start()
    await recorder.entered.wait()
    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.2)  # the stop is under way: no more deliveries are taken
    recorder.gate.set()
    await stopping
    waiting, dead = await left()

    assert 5 <= len(recorder.applied) <= 10  # the held batch, and the prefetched one
    assert recorder.applied == [event.event_id for event in events[:len(recorder.applied)]]
    assert (waiting, dead) == (len(events) - len(recorder.applied), [])
