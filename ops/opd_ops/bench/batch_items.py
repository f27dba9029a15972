"""`uv run --no-sync python -m opd_ops.bench.batch_items [--what decode|consume|all]`: the
CPU a consumer spends on each item of a version-2 batch message before its handler sees it.

- decode: `items_of` on a batch body, per item: events of token.allocated (a token and a
  slot snapshot each, ~1 KB) in batches of 35, plain and deflated as the relay sends them
  (inflated by `body_of` first), and book_token commands in batches of 6, the sizes
  measured at 1,000 bookings/s offered. Beside the deflated events, the relay's cost to
  deflate them and their bytes an item, plain and deflated.
- consume: the shared `BatchConsumer` against the real broker (AMQP_URL, default the local
  guest broker), with a handler that only acks: messages are published to a queue of the
  bench's own first, then the consumer's process CPU from its subscribing to its last
  ack, per item: aio-pika's and aiormq's receiving, the decode, the acks, the consumer's
  own bookkeeping. The broker's CPU is not in it.

Each figure is the median of `--runs` runs, in µs of process CPU an item.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractMessage
from pamqp.common import FieldTable
from pydantic import BaseModel

from opd_contracts import (
    BookToken,
    CommandBatch,
    CommandEnvelope,
    EventBatch,
    EventEnvelope,
    EventType,
)
from opd_contracts.records import SlotRecord, TokenRecord
from opd_contracts.vocabulary import Source, TokenStatus
from opd_shared.heap import settle_heap
from opd_shared.messaging import (
    ACK,
    DEFLATE,
    BatchConsumer,
    Batching,
    Delivery,
    Items,
    Outcome,
    body_of,
    deflated,
    items_of,
)
from opd_shared.settings import ServiceSettings

_GONE_WHEN_IDLE: FieldTable = {"x-expires": 60_000}  # should a run die before it deletes its queue
EVENTS_PER_MESSAGE = 35
COMMANDS_PER_MESSAGE = 6


def _event(n: int) -> EventEnvelope:
    now = dt.datetime(2026, 1, 30, 9, 15, n % 60, tzinfo=dt.UTC)
    slot = SlotRecord(id=11, doctor_id=7, date=dt.date(2026, 1, 30),
                      start_time=dt.time(9), end_time=dt.time(10), max_capacity=20,
                      current_count=n % 20)
    token = TokenRecord(id=1000 + n, token_number=f"DOC7-20260130-{n:04d}",
                        patient_name=f"Patient {n * 7919 % 10007}",
                        patient_phone=f"+9198{n * 104729 % 10**8:08d}",
                        doctor_id=7, slot_id=11, source=Source.ONLINE, status=TokenStatus.ALLOCATED,
                        priority_score=30, sequence_number=n, allocated_at=now,
                        channel="web", ticket="q3Xv0bq2H1c9kQ2mZr7uJw")
    return EventEnvelope(event_id=uuid.uuid4(), type=EventType.TOKEN_ALLOCATED, doctor_id=7,
                         seq=n, occurred_at=now, command_id=uuid.uuid4(),
                         actor="key 3 (web)", slots=[slot], tokens=[token])


def _command(n: int) -> CommandEnvelope:
    return CommandEnvelope(command_id=uuid.uuid4(),
                           issued_at=dt.datetime(2026, 1, 30, 9, 15, tzinfo=dt.UTC),
                           fingerprint="9f86d081884c7d659a2feaa0c55ad015", actor="key 3 (web)",
                           command=BookToken(doctor_id=7, slot_id=11,
                                             patient_name=f"Patient {n}",
                                             patient_phone="+919800000000",
                                             source=Source.ONLINE, channel="web"))


def event_body() -> bytes:
    events = [_event(n) for n in range(1, EVENTS_PER_MESSAGE + 1)]
    return EventBatch(events=events).model_dump_json().encode()


def command_body() -> bytes:
    commands = [_command(n) for n in range(COMMANDS_PER_MESSAGE)]
    return CommandBatch(commands=commands).model_dump_json().encode()


def _events(message: AbstractMessage) -> Items[Any]:
    return items_of(body_of(message), EventEnvelope, EventBatch, "events")


def _commands(message: AbstractMessage) -> Items[Any]:
    return items_of(message.body, CommandEnvelope, CommandBatch, "commands")


# kind: (its message, the consumer's decode, items a message)
KINDS: dict[str, tuple[Callable[[], aio_pika.Message], Callable[[AbstractMessage], Items[Any]],
                       int]] = {
    "events": (lambda: aio_pika.Message(event_body()), _events, EVENTS_PER_MESSAGE),
    "events, deflated": (lambda: aio_pika.Message(deflated(event_body()),
                                                  content_encoding=DEFLATE),
                         _events, EVENTS_PER_MESSAGE),
    "commands": (lambda: aio_pika.Message(command_body()), _commands, COMMANDS_PER_MESSAGE),
}


def decode_us(kind: str, messages: int = 2000) -> float:
    make, decode, per_message = KINDS[kind]
    message = make()
    start = time.process_time()
    for _ in range(messages):
        decode(message)
    return (time.process_time() - start) / (messages * per_message) * 1e6


def deflate_us(messages: int = 2000) -> float:
    """The relay's cost to deflate a page of events, per event."""
    body = event_body()
    start = time.process_time()
    for _ in range(messages):
        deflated(body)
    return (time.process_time() - start) / (messages * EVENTS_PER_MESSAGE) * 1e6


class _Acking(BatchConsumer[Items[BaseModel]]):
    """Decodes as the services do and acks every delivery: the consumer's cost alone."""

    def __init__(self, queue: str, kind: str, expected: int, batch_max: int) -> None:
        super().__init__(queue, "", Batching(batch_max=batch_max, window_s=0.02, max_pause=1))
        self.decoder, self.expected = KINDS[kind][1], expected
        self.handled, self.done = 0, asyncio.Event()

    async def declare(self, channel: AbstractChannel) -> None:
        await channel.declare_queue(self.queue_name, arguments=_GONE_WHEN_IDLE)

    def decode(self, message: AbstractIncomingMessage) -> Items[BaseModel]:
        return self.decoder(message)

    async def handle(self, deliveries: Sequence[Delivery[Items[BaseModel]]]) -> list[Outcome]:
        self.handled += len(deliveries)
        if self.handled >= self.expected:
            asyncio.get_running_loop().call_soon(self.done.set)  # once these are acked
        return [ACK] * len(deliveries)


async def consume_us(kind: str, url: str, batch_max: int, messages: int = 400) -> float:
    make, _, per_message = KINDS[kind]
    made = make()
    queue = f"bench-batch-items-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect_robust(url)
    try:
        consumer = _Acking(queue, kind, messages, batch_max)
        publisher = await connection.channel()
        declared = await publisher.declare_queue(queue, arguments=_GONE_WHEN_IDLE)
        for _ in range(messages):
            await publisher.default_exchange.publish(
                aio_pika.Message(made.body, content_encoding=made.content_encoding,
                                 message_id=uuid.uuid4().hex), routing_key=queue)
        start = time.process_time()
        await consumer.consume(connection)  # as a service does: a channel of its own, ...
        await consumer.done.wait()
        await asyncio.sleep(0)  # the last settle
        spent = time.process_time() - start
        await consumer.stop()
        await declared.delete(if_unused=False, if_empty=False)
        return spent / (messages * per_message) * 1e6
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=["decode", "consume", "all"], default="all")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-max", type=int, default=200,
                        help="messages a batch takes (the read models' default: 200)")
    parser.add_argument("--amqp-url", default=os.environ.get(
        "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    # The collector as a service process has it (opd_shared.app.process_settings): with
    # CPython's default, collecting decoded batches was about half of what an event cost.
    settle_heap(ServiceSettings.model_construct().gc_young_threshold)
    for kind in KINDS:
        if args.what in ("decode", "all"):
            runs = [decode_us(kind) for _ in range(args.runs)]
            print(f"decode  {kind:16s} {statistics.median(runs):6.2f} us/item "
                  f"(runs {', '.join(f'{r:.2f}' for r in runs)})")
        if args.what in ("consume", "all"):
            runs = [asyncio.run(consume_us(kind, args.amqp_url, args.batch_max))
                    for _ in range(args.runs)]
            print(f"consume {kind:16s} {statistics.median(runs):6.2f} us/item "
                  f"(runs {', '.join(f'{r:.2f}' for r in runs)})")
    if args.what in ("decode", "all"):
        runs = [deflate_us() for _ in range(args.runs)]
        plain = event_body()
        print(f"deflate events           {statistics.median(runs):6.2f} us/item "
              f"(runs {', '.join(f'{r:.2f}' for r in runs)}); bytes an item "
              f"{len(plain) / EVENTS_PER_MESSAGE:.0f} plain, "
              f"{len(deflated(plain)) / EVENTS_PER_MESSAGE:.0f} deflated")


if __name__ == "__main__":
    main()
