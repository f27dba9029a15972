"""The batch consumer's acks on the real broker, where a `basic.ack multiple=True` settles
every unacked delivery below its tag: one never reaches a delivery still being handled, a
crash before settling gives the deliveries back, and a poison delivery in a batch fails
alone while its neighbours are acked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import aio_pika
import pytest

from opd_shared.messaging import ACK, BatchConsumer, Batching, Delivery, Outcome
from opd_shared.retries import ATTEMPT_LIMIT, BROKER_COUNTERS, REASON_HEADER
from opd_shared.settings import ServiceSettings

CONSUMER = "acks"


class Names(BatchConsumer[str]):
    """Bodies are names; `hold` keeps a batch holding that name in `handle` until
    released; `refuse` raises for any batch holding that name."""

    def __init__(self, queue: str, dead: str, batching: Batching, hold: str = "",
                 refuse: str = "") -> None:
        super().__init__(queue, dead, batching)
        self.hold, self.refuse = hold, refuse
        self.release, self.held = asyncio.Event(), asyncio.Event()
        self.acked: list[str] = []  # each name the handler answered ACK for
        self.seen: list[tuple[str, bool]] = []  # each delivery: (name, redelivered)
        self.messages: list[aio_pika.abc.AbstractIncomingMessage] = []  # as decoded
        self.changed = asyncio.Event()

    def decode(self, message: aio_pika.abc.AbstractIncomingMessage) -> str:
        self.seen.append((message.body.decode(), bool(message.redelivered)))
        self.messages.append(message)
        return message.body.decode()

    async def handle(self, deliveries: Sequence[Delivery[str]]) -> Sequence[Outcome]:
        names = [delivery.item for delivery in deliveries]
        if self.hold in names:
            self.held.set()
            await self.release.wait()
        if self.refuse in names:
            raise ValueError("refused: a value out of range")
        self.acked.extend(names)
        self.changed.set()
        return [ACK] * len(deliveries)

    async def answered(self, names: set[str]) -> None:
        async with asyncio.timeout(20):
            while not names <= set(self.acked):
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def broker(infra):
    """A fresh namespace's queue and dead letters; yields (queue, dead-letter exchange,
    publish(*names), waiting() -> messages ready in the queue, parked() -> dead letters'
    headers by body)."""
    settings = infra.settings(ServiceSettings, infra.namespace("acks"))
    topology = settings.topology
    queue_name = topology.consumer_queue(CONSUMER)
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await topology.declare_consumer(channel, CONSUMER)

        async def publish(*names: str) -> None:
            for name in names:
                await channel.default_exchange.publish(
                    aio_pika.Message(name.encode(), message_id=name), routing_key=queue_name)

        async def waiting() -> int:
            queue = await channel.declare_queue(queue_name, passive=True)
            return queue.declaration_result.message_count or 0

        async def parked() -> dict[str, dict]:
            dead = await channel.get_queue(topology.dead_letter_queue)
            found = {}
            while (message := await dead.get(no_ack=True, fail=False)) is not None:
                found[message.body.decode()] = dict(message.headers or {})
            return found

        yield queue_name, topology.dead_letter_exchange, publish, waiting, parked
        # Not one of the product's queues, so the session's namespace sweep does not know it.
        await channel.queue_delete(queue_name)


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


async def test_a_multiple_ack_never_acks_a_delivery_still_in_hand_and_a_crash_gives_it_back(
        infra, broker):
    queue, dead, publish, waiting, _ = broker
    await publish("a", "b", "c", "d", "e", "f")
    crashed = await aio_pika.connect_robust(infra.amqp_url)
    first = Names(queue, dead, Batching(batch_max=2, window_s=0.2, max_pause=0.01,
                                        in_flight=2), hold="a")
    await first.consume(crashed)
    await first.held.wait()  # [a, b] in hand; [c, d] and [e, f] go past it
    await first.answered({"c", "d", "e", "f"})
    await asyncio.sleep(0.2)  # their acks reach the broker

    await crashed.close()  # a crash: [a, b] was never settled
    assert first.task is not None
    first.task.cancel()

    async def a_and_b_back() -> bool:
        return await waiting() == 2
    await _until(a_and_b_back, "a and b never came back")

    async with await aio_pika.connect_robust(infra.amqp_url) as connection:
        second = Names(queue, dead, Batching(batch_max=10, window_s=0.05, max_pause=0.01))
        await second.consume(connection)
        await second.answered({"a", "b"})
        await second.stop()
    assert second.seen == [("a", True), ("b", True)]  # the broker's, given back
    assert await waiting() == 0  # and acked this time


async def test_a_poison_delivery_fails_alone_and_its_batch_neighbours_are_acked(infra, broker):
    queue, dead, publish, waiting, parked = broker
    await publish("a", "poison", "b", "c")
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        consumer = Names(queue, dead, Batching(batch_max=10, window_s=0.1, max_pause=0.01),
                         refuse="poison")
        await consumer.consume(connection)
        await consumer.answered({"a", "b", "c"})
        found: dict[str, dict] = {}

        async def poison_parked() -> bool:
            found.update(await parked())
            return "poison" in found
        await _until(poison_parked, "the poison was never dead-lettered")
        await consumer.stop()
    # Closed, the channel gave back whatever was left unacked: nothing.
    assert await waiting() == 0
    assert sorted(consumer.acked) == ["a", "b", "c"]  # each answered once
    assert found["poison"][REASON_HEADER] == f"failed {ATTEMPT_LIMIT} times; last: ValueError"


async def test_a_delivery_reads_as_aio_pika_s_message_would(infra, broker):
    """The handlers, the traces and `Retries`' copies read these; aio-pika's message is
    what they were written against."""
    queue, dead, _, _, _ = broker
    sent = aio_pika.Message(
        b"a", headers={"x-opd-attempt": 2, "traceparent": "00-ab-cd-01"},
        content_type="application/json", content_encoding="utf-8", message_id="m1",
        correlation_id="c1", reply_to="replies", timestamp=1_700_000_000, type="book",
        app_id="gateway", priority=3, expiration=60, user_id="guest",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    fields = ["body", "headers", "content_type", "content_encoding", "message_id",
              "correlation_id", "reply_to", "timestamp", "type", "app_id", "priority",
              "expiration", "user_id", "delivery_mode", "routing_key", "exchange",
              "redelivered", "body_size"]
    async with await aio_pika.connect_robust(infra.amqp_url) as connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(sent, routing_key=queue)
        reference = await (await channel.get_queue(queue)).get(timeout=5)  # held unacked
        consumer = Names(queue, dead, Batching(batch_max=1, window_s=0, max_pause=0.01))
        await consumer.consume(connection)
        await channel.default_exchange.publish(sent, routing_key=queue)  # a second copy
        await consumer.answered({"a"})
        await consumer.stop()
        await reference.ack()
    delivery = consumer.messages[0]
    assert type(delivery).__name__ == "Delivered"  # not aio-pika's, which costs more
    read = {name: getattr(delivery, name) for name in fields}
    expected = {name: getattr(reference, name) for name in fields}
    for headers in (read["headers"], expected["headers"]):
        for counter in BROKER_COUNTERS:  # a get and a delivery are counted differently
            headers.pop(counter, None)
    assert read == expected


async def test_after_its_channel_is_reopened_deliveries_still_come_and_are_acked(infra, broker):
    queue, dead, publish, waiting, _ = broker
    async with await aio_pika.connect_robust(infra.amqp_url) as connection:
        consumer = Names(queue, dead, Batching(batch_max=10, window_s=0.05, max_pause=0.01))
        await consumer.consume(connection)
        await publish("a")
        await consumer.answered({"a"})
        reopened = asyncio.Event()
        consumer.subscription.channel.reopen_callbacks.add(  # type: ignore[attr-defined]
            lambda channel: reopened.set())
        underlay = await consumer.subscription.channel.get_underlay_channel()
        await underlay.close()  # as a channel error would; the robust channel reopens
        await asyncio.wait_for(reopened.wait(), 10)
        await publish("b")
        await consumer.answered({"b"})
        await consumer.stop()
    assert await waiting() == 0
    assert [name for name, _ in consumer.seen] == ["a", "b"]
    assert type(consumer.messages[-1]).__name__ == "Delivered"  # taken over again
