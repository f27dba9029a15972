"""The read models' batch consumer on the real broker: batches, acks after the apply, a bad
body dead-lettered with its reason, a failing event isolated and tried exactly
`ATTEMPT_LIMIT` times by our own count, deliveries handed back coming again, and a stop that
loses nothing. The applier is a recording fake: what is proven here is what the broker
sees."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence

import aio_pika
import pytest

from opd_contracts import EventBatch, EventEnvelope, EventType
from opd_shared.event_batches import EventBatchConsumer
from opd_shared.messaging import HandBack
from opd_shared.retries import ATTEMPT_HEADER, ATTEMPT_LIMIT
from opd_shared.settings import ServiceSettings
from opd_shared.topology import Topology

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
    publisher of bodies, and a reader of (ready messages, dead letters' headers by id)."""
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

        async def left() -> tuple[int, dict[str | None, dict]]:
            queue = await channel.declare_queue(topology.consumer_queue(CONSUMER), passive=True)
            dead = await channel.get_queue(topology.dead_letter_queue)
            parked = {}
            while (message := await dead.get(no_ack=True, fail=False)) is not None:
                parked[message.message_id] = dict(message.headers or {})
            return queue.declaration_result.message_count, parked

        yield settings, publish, left
        # Not one of the product's queues, so the session's namespace sweep does not know it.
        await channel.queue_delete(topology.consumer_queue(CONSUMER))


class Watched(EventBatchConsumer):
    """Notes each delivery as the broker handed it over: (message id, x-opd-attempt,
    redelivered flag)."""

    seen: list[tuple[str | None, object, bool]]

    async def _handle(self, messages: list[aio_pika.abc.AbstractIncomingMessage]) -> None:
        self.seen.extend((m.message_id, (m.headers or {}).get(ATTEMPT_HEADER), m.redelivered)
                         for m in messages)
        await super()._handle(messages)


def _consumer(settings: ServiceSettings, recorder: Recorder, batch_max: int,
              window_s: float = 0.02, events_per_transaction: int = 1000) -> Watched:
    consumer = Watched(consumer=CONSUMER, amqp_url=settings.amqp_url,
                       topology=settings.topology, apply=recorder, batch_max=batch_max,
                       window_s=window_s, max_pause=0.01,
                       events_per_transaction=events_per_transaction)
    consumer.seen = []
    return consumer


async def _send(publish, events: list[EventEnvelope]) -> None:
    for event in events:
        await publish(event.model_dump_json().encode(), str(event.event_id))


async def _parked(left, message_id: str) -> tuple[int, dict[str | None, dict]]:
    """What `left()` says once `message_id` is in the dead-letter queue (20 s at most)."""
    for _ in range(400):
        if message_id in (found := await left())[1]:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{message_id} never reached the dead-letter queue")


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
    assert await left() == (0, {})  # every one acked: none back in the queue on close


async def test_a_batch_of_many_events_is_applied_in_capped_transactions_then_all_acked(broker):
    settings, publish, left = broker
    messages = [[_event(seq) for seq in range(20 * n + 1, 20 * n + 21)] for n in range(3)]
    for events in messages:  # as a replay sends them: many events to a message
        await publish(EventBatch(events=events).model_dump_json().encode(),
                      str(events[0].event_id))
    recorder = Recorder()
    consumer = _consumer(settings, recorder, batch_max=10, window_s=1.0,
                         events_per_transaction=25)

    await consumer.start()
    await recorder.reached(60)
    await consumer.stop()

    assert recorder.applied == [event.event_id for events in messages for event in events]
    assert [len(batch) for batch in recorder.batches] == [25, 25, 10]
    assert await left() == (0, {})


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
    assert await left() == (0, {})


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

    waiting, parked = await left()
    assert recorder.applied == [event.event_id for event in good]
    assert (waiting, list(parked)) == (0, ["not-an-event"])
    headers = parked["not-an-event"]
    assert headers["x-opd-reason"].startswith("not an event: ValidationError")
    assert headers["x-opd-queue"] == settings.topology.consumer_queue(CONSUMER)


async def test_a_failing_event_is_isolated_and_dead_lettered_with_its_reason(broker):
    settings, publish, left = broker
    events = [_event(seq) for seq in range(1, 11)]
    poison = events[4]
    await _send(publish, events)
    recorder = Recorder(poison=frozenset({poison.event_id}))
    consumer = _consumer(settings, recorder, batch_max=10)

    await consumer.start()
    await recorder.reached(9)
    waiting, parked = await _parked(left, str(poison.event_id))
    await consumer.stop()

    assert sorted(recorder.applied) == sorted(e.event_id for e in events if e is not poison)
    assert (waiting, list(parked)) == (0, [str(poison.event_id)])
    headers = parked[str(poison.event_id)]
    assert headers["x-opd-reason"] == f"failed {ATTEMPT_LIMIT} times; last: ValueError"
    assert headers["x-opd-queue"] == settings.topology.consumer_queue(CONSUMER)


async def test_a_failing_event_is_tried_exactly_the_limit_by_our_count_and_blocks_nothing(
        broker):
    settings, publish, left = broker
    events = [_event(seq) for seq in range(1, 11)]
    poison = events[0]  # at the head of the queue: the rest must not wait for its tries
    await _send(publish, events)
    recorder = Recorder(poison=frozenset({poison.event_id}))
    consumer = _consumer(settings, recorder, batch_max=1)

    await consumer.start()
    await recorder.reached(9)
    _, parked = await _parked(left, str(poison.event_id))
    await consumer.stop()

    tries = [(attempt, redelivered) for message_id, attempt, redelivered in consumer.seen
             if message_id == str(poison.event_id)]
    # Each try is a fresh copy carrying our count; the broker never redelivered it, so
    # nothing depends on how a RabbitMQ version counts nacks.
    assert tries == [(None, False), (2, False), (3, False), (4, False), (5, False)]
    assert recorder.refusals == ATTEMPT_LIMIT
    assert parked[str(poison.event_id)][ATTEMPT_HEADER] == ATTEMPT_LIMIT
    assert "x-death" not in parked[str(poison.event_id)]  # parked by us, not by the broker
    order = [message_id for message_id, _, _ in consumer.seen]
    second_try = order.index(str(poison.event_id), 1)
    assert set(order[1:second_try]) == {str(e.event_id) for e in events[1:]}


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
    assert (waiting, dead) == (len(events) - len(recorder.applied), {})


async def test_deliveries_handed_back_come_again_on_a_new_channel_and_apply_once(broker):
    settings, publish, left = broker
    events = [_event(seq) for seq in range(1, 6)]
    await _send(publish, events)
    recorder, handed_back = Recorder(), []

    async def not_mine_at_first(batch: Sequence[EventEnvelope]) -> list[bool]:
        if not handed_back:  # as the allocator does when another process owns its partition
            handed_back.extend(str(event.event_id) for event in batch)
            raise HandBack("another process owns these now")
        return await recorder(batch)

    consumer = _consumer(settings, not_mine_at_first, batch_max=10)  # type: ignore[arg-type]
    await consumer.start()
    await recorder.reached(len(events))
    await consumer.stop()

    redelivered = {message_id for message_id, _, again in consumer.seen if again}
    assert sorted(recorder.applied) == sorted(event.event_id for event in events)
    assert handed_back and set(handed_back) <= redelivered  # the broker's, not a copy of ours
    assert await left() == (0, {})
