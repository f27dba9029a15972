"""The batch consumer's outcome handling, on a recording channel: each delivery settled as
its handler answered, poison isolated, outages waited out, undecodable bodies parked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from asyncpg.exceptions import SerializationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from opd_shared.messaging import (
    ACK,
    BatchConsumer,
    Batching,
    DeadLetter,
    Delivery,
    HandBack,
    Outcome,
    Retry,
)
from opd_shared.retries import ATTEMPT_HEADER, REASON_HEADER, Retries

from .broker_fakes import FakeAmqpChannel, FakeChannel, FakeMessage

QUEUE, DEAD = "orders", "dead-letters"


class Order(BaseModel):
    name: str


class Scripted(BatchConsumer[Order]):
    """Answers what `answer` says for each batch, and notes every batch it was handed."""

    def __init__(self, answer) -> None:
        super().__init__(QUEUE, DEAD, Batching(batch_max=10, window_s=0, max_pause=0.001))
        self.answer, self.batches = answer, []
        self.channel = FakeChannel()
        self.subscription.retries = Retries(self.channel, QUEUE, DEAD)  # type: ignore[arg-type]

    def decode(self, message) -> Order:
        return Order.model_validate_json(message.body)

    async def handle(self, deliveries: Sequence[Delivery[Order]]) -> Sequence[Outcome]:
        names = [delivery.item.name for delivery in deliveries]
        self.batches.append(names)
        return self.answer(names)


def _messages(*names: str, consumer: Scripted | None = None,
              channel: FakeAmqpChannel | None = None) -> list[FakeMessage]:
    """Delivered in this order on one channel, and noted by `consumer`'s subscription as
    the broker's deliveries are."""
    channel = channel or FakeAmqpChannel()
    messages = [channel.deliver(FakeMessage(f'{{"name": "{name}"}}'.encode(), message_id=name))
                for name in names]
    for message in messages:
        if consumer is not None:
            consumer.subscription.acks.delivered(message)  # type: ignore[arg-type]
    return messages


async def test_each_delivery_is_settled_as_its_handler_answered():
    consumer = Scripted(lambda names: [ACK, Retry(ValueError("x")), DeadLetter("never")])
    messages = _messages("done", "failed", "hopeless", consumer=consumer)

    await consumer._handle(messages)  # type: ignore[arg-type]

    copies = consumer.channel.copies()
    assert [m.settled for m in messages] == [["ack"], ["ack"], ["ack"]]  # copies confirmed
    assert copies["failed"][:2] == ("", QUEUE)  # back of its own queue
    assert copies["failed"][2][ATTEMPT_HEADER] == 2
    assert copies["hopeless"][:2] == (DEAD, "dead")
    assert copies["hopeless"][2][REASON_HEADER] == "never"
    assert "done" not in copies


async def test_a_batch_whose_handler_raises_is_handed_over_one_delivery_at_a_time():
    def refuse_poison(names):
        if "poison" in names:
            raise ValueError("a value out of range")
        return [ACK] * len(names)

    consumer = Scripted(refuse_poison)
    messages = _messages("a", "poison", "b", consumer=consumer)

    await consumer._handle(messages)  # type: ignore[arg-type]

    assert consumer.batches == [["a", "poison", "b"], ["a"], ["poison"], ["b"]]
    assert list(consumer.channel.copies()) == ["poison"]  # the neighbours were only acked
    assert consumer.channel.copies()["poison"][2][ATTEMPT_HEADER] == 2


async def test_a_transient_failure_is_waited_out_and_spends_no_attempt(monkeypatch):
    monkeypatch.setattr("opd_shared.patience.FIRST_PAUSE", 0.001)
    failures = [DBAPIError("UPDATE", {}, SerializationError("40001"))] * 3

    def flaky(names):
        if failures:
            raise failures.pop()
        return [ACK] * len(names)

    consumer = Scripted(flaky)
    messages = _messages("a", "b", consumer=consumer)

    await consumer._handle(messages)  # type: ignore[arg-type]

    assert consumer.batches == [["a", "b"]] * 4  # the whole batch each time, never split
    assert [m.settled for m in messages] == [["ack"], ["ack"]]
    assert consumer.channel.published == []


async def test_an_undecodable_body_is_parked_at_once_and_never_reaches_the_handler():
    consumer = Scripted(lambda names: [ACK] * len(names))
    good = _messages("good", consumer=consumer)[0]
    bad = FakeMessage(b'{"nome": "x"}', message_id="bad")

    await consumer._handle([bad, good])  # type: ignore[list-item]

    assert consumer.batches == [["good"]]
    exchange, _, headers = consumer.channel.copies()["bad"]
    assert exchange == DEAD
    assert headers[REASON_HEADER].startswith("undecodable: ValidationError")
    assert good.settled == ["ack"]


@pytest.mark.parametrize("answer", [lambda names: [], lambda names: [True] * len(names)],
                         ids=["too few answers", "answers that are not outcomes"])
async def test_a_handler_that_does_not_answer_each_delivery_gets_them_retried(answer):
    consumer = Scripted(answer)
    messages = _messages("a", "b", consumer=consumer)

    await consumer._handle(messages)  # type: ignore[arg-type]

    copies = consumer.channel.copies()
    assert {name: copy[2][ATTEMPT_HEADER] for name, copy in copies.items()} == {"a": 2, "b": 2}


class Held(Scripted):
    """Holds every batch in `handle` until released; notes which batches are in hand."""

    def __init__(self, in_flight: int) -> None:
        super().__init__(lambda names: [ACK] * len(names))
        self.batching = Batching(batch_max=1, window_s=0, max_pause=0.001, in_flight=in_flight)
        self.release, self.in_hand = asyncio.Event(), []

    async def handle(self, deliveries: Sequence[Delivery[Order]]) -> Sequence[Outcome]:
        self.in_hand.append(deliveries[0].item.name)
        await self.release.wait()
        return await super().handle(deliveries)


@pytest.mark.parametrize(("in_flight", "in_hand"),
                         [(1, ["a"]), (2, ["a", "b"]), (3, ["a", "b", "c"])])
async def test_up_to_in_flight_batches_are_handled_at_once(in_flight, in_hand):
    consumer = Held(in_flight)
    for message in _messages("a", "b", "c", consumer=consumer):
        consumer.subscription.deliveries.put_nowait(message)  # type: ignore[arg-type]
    consumer.subscription.deliveries.put_nowait(None)
    running = asyncio.create_task(consumer._run())
    await asyncio.sleep(0.05)

    assert consumer.in_hand == in_hand  # the others wait for a batch to be settled
    consumer.release.set()
    await asyncio.wait_for(running, 1)
    assert sorted(consumer.in_hand) == ["a", "b", "c"]


async def test_nothing_is_settled_on_a_channel_whose_close_began():
    """RabbitMQ answers a frame that reaches it after its channel closed with a connection
    error (504), which closes every channel of the connection; unsettled, each comes back."""
    consumer = Scripted(lambda names: [ACK, Retry(ValueError("x")), DeadLetter("never")])
    messages = _messages("done", "failed", "hopeless", consumer=consumer)
    consumer.subscription.retries.closing = True

    await consumer._handle(messages)  # type: ignore[arg-type]

    assert [m.settled for m in messages] == [[], [], []]
    assert consumer.channel.copies() == {}


class HandingBack(Scripted):
    def __init__(self) -> None:
        super().__init__(lambda names: [])
        self.renewals = 0

        async def renew() -> None:
            self.renewals += 1
        self.subscription.renew = renew  # type: ignore[method-assign]

    async def handle(self, deliveries: Sequence[Delivery[Order]]) -> Sequence[Outcome]:
        raise HandBack("partition 1 is owned by another process now")


async def test_a_hand_back_gives_the_queue_back_once_not_again_for_each_batch_in_hand():
    """The first batch to hand back closes the channel; a batch that came on it and hands
    back later must not close the next one, or each generation of batches fenced the next."""
    consumer = HandingBack()
    first, later = _messages("first"), _messages("later")

    await consumer._handle(first)  # type: ignore[arg-type]
    later[0].channel_closed = True  # as the first hand-back left it
    await consumer._handle(later)  # type: ignore[arg-type]

    assert consumer.renewals == 1


async def test_a_batch_s_acks_leave_as_one_multiple_ack():
    consumer = Scripted(lambda names: [ACK] * len(names))
    channel = FakeAmqpChannel()
    messages = _messages("a", "b", "c", consumer=consumer, channel=channel)

    await consumer._handle(messages)  # type: ignore[arg-type]

    assert channel.frames == [(3, True)]
    assert [m.settled for m in messages] == [["ack"], ["ack"], ["ack"]]


class Unconfirmed(FakeChannel):
    """The broker does not confirm a republished copy."""

    def __init__(self) -> None:
        super().__init__()
        self.default_exchange.publish = self._refuse  # type: ignore[method-assign]

    async def _refuse(self, message, routing_key):  # type: ignore[no-untyped-def]
        raise ConnectionError("the copy was not confirmed")


async def test_a_multiple_ack_passes_a_failed_delivery_only_once_it_was_given_back():
    consumer = Scripted(lambda names: [ACK, Retry(ValueError("x")), ACK])
    consumer.subscription.retries = Retries(Unconfirmed(), QUEUE, DEAD)  # type: ignore[arg-type]
    channel = FakeAmqpChannel()
    messages = _messages("a", "failed", "b", consumer=consumer, channel=channel)

    await consumer._handle(messages)  # type: ignore[arg-type]

    assert [m.settled for m in messages] == [["ack"], ["nack"], ["ack"]]  # back to the queue
    assert channel.frames == [(3, True)]  # the nack went first; the broker skips it


class HeldWhile(Scripted):
    """Holds each batch holding `held` in `handle` until released; in flight: two."""

    def __init__(self, held: str) -> None:
        super().__init__(lambda names: [ACK] * len(names))
        self.batching = Batching(batch_max=2, window_s=0, max_pause=0.001, in_flight=2)
        self.held, self.release, self.entered = held, asyncio.Event(), asyncio.Event()

    async def handle(self, deliveries: Sequence[Delivery[Order]]) -> Sequence[Outcome]:
        if any(delivery.item.name == self.held for delivery in deliveries):
            self.entered.set()
            await self.release.wait()
        return await super().handle(deliveries)


async def test_acks_above_a_delivery_still_in_hand_go_alone_and_never_pass_it():
    consumer = HeldWhile("a")
    channel = FakeAmqpChannel()
    messages = _messages("a", "b", "c", "d", consumer=consumer, channel=channel)
    for message in messages:
        consumer.subscription.deliveries.put_nowait(message)  # type: ignore[arg-type]
    consumer.subscription.deliveries.put_nowait(None)
    running = asyncio.create_task(consumer._run())
    await consumer.entered.wait()
    for _ in range(20):  # the second batch is handled and settled meanwhile
        await asyncio.sleep(0.005)

    assert channel.frames == [(3, False), (4, False)]
    assert [m.settled for m in messages] == [[], [], ["ack"], ["ack"]]
    consumer.release.set()
    await asyncio.wait_for(running, 1)
    assert channel.frames[2:] == [(2, True)]
    assert [m.settled for m in messages] == [["ack"]] * 4


async def test_after_a_batch_failed_unsettled_every_later_ack_goes_alone():
    """Its deliveries stay the broker's until the channel closes: no multiple-ack may
    pass them, now or later."""
    consumer = Scripted(lambda names: [ACK] * len(names))
    channel = FakeAmqpChannel()
    bad, a, b = _messages("x", "a", "b", consumer=consumer, channel=channel)
    bad.body = b'{"nome": "x"}'

    async def no_exchange(name: str, ensure: bool = True) -> None:
        raise ConnectionError("the dead-letter exchange cannot be reached")
    consumer.channel.get_exchange = no_exchange  # type: ignore[method-assign]
    await consumer._handle_freeing([bad], asyncio.Semaphore(0))  # type: ignore[list-item]
    await consumer._handle([a, b])  # type: ignore[list-item]

    assert bad.settled == []
    assert channel.frames == [(2, False), (3, False)]
