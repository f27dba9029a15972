"""Replies leave one message per gateway reply queue for all that a round's partitions
hand over as they resume one after another, with no timer; a version-1 command's reply
leaves alone, as version 1."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
from pamqp.header import ContentHeader

from allocator.adapters.replies import TURNS_MAX, ReplyBatcher
from opd_contracts import Reply


class Underlay:
    """aiormq's channel under aio-pika's: what `basic_publish` was handed."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict, str | None]] = []
        self.calls: list[dict] = []

    async def basic_publish(self, body: bytes, **arguments) -> None:
        self.calls.append({"body": body, **arguments})
        self.sent.append((arguments["routing_key"], json.loads(body),
                          arguments["properties"].correlation_id))


class Channel:
    is_closed = False

    def __init__(self) -> None:
        self.default_exchange = Underlay()  # named as before: what reached the broker

    async def get_underlay_channel(self) -> Underlay:
        return self.default_exchange


def _reply() -> Reply:
    return Reply(command_id=uuid.uuid4(), ok=True)


async def test_a_rounds_replies_handed_over_in_turn_leave_as_one_message_per_gateway():
    channel = Channel()
    replies = ReplyBatcher(channel)  # type: ignore[arg-type]
    turn = asyncio.Lock()
    answers = {n: _reply() for n in range(4)}
    await turn.acquire()

    async def partition(n: int, gateway: str) -> None:
        async with turn:  # as partitions waiting on their lane's turn resume one by one
            replies.send(gateway, answers[n], version=2)

    waiting = [asyncio.create_task(partition(n, "gw-a" if n % 2 == 0 else "gw-b"))
               for n in range(4)]
    await asyncio.sleep(0)
    turn.release()  # the round committed
    await asyncio.gather(*waiting)
    await replies.drain()

    sent = {queue: [r["command_id"] for r in body["replies"]]
            for queue, body, _ in channel.default_exchange.sent}
    assert len(channel.default_exchange.sent) == 2
    assert sent == {"gw-a": [str(answers[0].command_id), str(answers[2].command_id)],
                    "gw-b": [str(answers[1].command_id), str(answers[3].command_id)]}


async def test_a_version_1_command_gets_its_reply_alone_with_its_correlation_id():
    channel = Channel()
    replies = ReplyBatcher(channel)  # type: ignore[arg-type]
    reply = _reply()

    replies.send("gw-old", reply, version=1, correlation_id="c-1")
    await replies.drain()

    [(queue, body, correlation_id)] = channel.default_exchange.sent
    assert (queue, correlation_id, body["command_id"]) == ("gw-old", "c-1", str(reply.command_id))
    assert "version" not in body


async def test_replies_added_in_every_turn_still_leave_after_a_few_turns():
    channel = Channel()
    replies = ReplyBatcher(channel)  # type: ignore[arg-type]
    stop = asyncio.Event()

    async def busy_lanes() -> None:  # a reply in every turn of the loop, without end
        while not stop.is_set():
            replies.send("gw", _reply(), version=2)
            await asyncio.sleep(0)

    lanes = asyncio.create_task(busy_lanes())
    for _ in range(3 * TURNS_MAX):
        await asyncio.sleep(0)
    stop.set()
    await lanes
    await replies.drain()

    assert len(channel.default_exchange.sent) >= 2  # sent while replies kept coming


async def test_a_reply_message_goes_out_as_aio_pikas_message_to_the_default_exchange_did():
    """The same properties on the wire (content type, not persistent, the correlation id
    of a version-1 reply), to the default exchange, mandatory."""
    channel = Channel()
    replies = ReplyBatcher(channel)  # type: ignore[arg-type]

    replies.send("gw-new", _reply(), version=2)
    replies.send("gw-old", _reply(), version=1, correlation_id="c-1")
    await replies.drain()

    by_queue = {call["routing_key"]: call for call in channel.default_exchange.calls}
    for queue, correlation_id in (("gw-new", None), ("gw-old", "c-1")):
        call = by_queue[queue]
        expected = aio_pika.Message(call["body"], correlation_id=correlation_id,
                                    content_type="application/json").properties
        assert (call["exchange"], call["mandatory"]) == ("", True)
        assert ContentHeader(0, len(call["body"]), call["properties"]).marshal() == \
            ContentHeader(0, len(call["body"]), expected).marshal()


async def test_replies_to_a_closed_channel_are_not_sent_and_nothing_is_raised():
    channel = Channel()
    channel.is_closed = True
    replies = ReplyBatcher(channel)  # type: ignore[arg-type]

    replies.send("gw", _reply(), version=2)
    await replies.drain()

    assert channel.default_exchange.sent == []
