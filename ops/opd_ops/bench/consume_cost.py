"""`uv run --no-sync python -m opd_ops.bench.consume_cost [--runs 5] [--messages 3000]`: the
CPU the shared `BatchConsumer` spends on each message it consumes, apart from the handler's
work: aio-pika's and aiormq's receiving, the buffer, the batching, the settling and the
acks.

Messages of one small command each (what the allocator gets at low load; the read models
pay the same per message on top of their events) are published to a queue of the bench's
own first; then the consumer's process CPU from its subscribing to its last ack is divided
by the messages. The handler answers `ACK` for each; `--decode none` hands the body over
undecoded (the consuming alone), `--decode command` decodes it as the allocator does.
The broker's CPU is not in it. Each figure is the median of `--runs` runs, in µs a message;
`opd_shared` is printed so an A/B run can show which code it measured (PYTHONPATH=<an
older shared/> puts that one first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from pamqp.common import FieldTable

import opd_shared
from opd_contracts import CommandBatch, CommandEnvelope
from opd_ops.bench.batch_items import _command
from opd_shared.heap import settle_heap
from opd_shared.messaging import ACK, BatchConsumer, Batching, Delivery, Outcome, items_of
from opd_shared.settings import ServiceSettings

_GONE_WHEN_IDLE: FieldTable = {"x-expires": 60_000}  # should a run die before it deletes its queue


class _Acking(BatchConsumer[Any]):
    def __init__(self, queue: str, expected: int, batching: Batching, decode: str) -> None:
        super().__init__(queue, "", batching)
        self.expected, self.decoding = expected, decode
        self.handled, self.done = 0, asyncio.Event()

    async def declare(self, channel: AbstractChannel) -> None:
        await channel.declare_queue(self.queue_name, arguments=_GONE_WHEN_IDLE)

    def decode(self, message: AbstractIncomingMessage) -> Any:
        if self.decoding == "none":
            return message.body
        return items_of(message.body, CommandEnvelope, CommandBatch, "commands")

    async def handle(self, deliveries: Sequence[Delivery[Any]]) -> list[Outcome]:
        self.handled += len(deliveries)
        if self.handled >= self.expected:
            asyncio.get_running_loop().call_soon(self.done.set)  # once these are acked
        return [ACK] * len(deliveries)


async def _left_unacked(url: str, queue: str) -> int:
    """Messages still in the queue once the consumer's channel is closed: 0 if all acked."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        count = declared.declaration_result.message_count or 0
        await declared.delete(if_unused=False, if_empty=False)
        return count


async def consume_us(url: str, messages: int, batching: Batching, decode: str) -> float:
    body = CommandBatch(commands=[_command(1)]).model_dump_json().encode()
    queue = f"bench-consume-cost-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect_robust(url)
    try:
        publisher = await connection.channel()
        await publisher.declare_queue(queue, arguments=_GONE_WHEN_IDLE)
        for _ in range(messages):
            await publisher.default_exchange.publish(
                aio_pika.Message(body, message_id=uuid.uuid4().hex), routing_key=queue)
        consumer = _Acking(queue, messages, batching, decode)
        start = time.process_time()
        await consumer.consume(connection)  # as a service does: a channel of its own
        await consumer.done.wait()
        await asyncio.sleep(0)  # the last acks
        spent = time.process_time() - start
        await consumer.stop()
    finally:
        await connection.close()
    left = await _left_unacked(url, queue)
    if left:
        raise AssertionError(f"{left} of {messages} messages were not acked")
    return spent / messages * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--decode", choices=["none", "command"], default="none")
    parser.add_argument("--batch-max", type=int, default=100, help="the allocator's default")
    parser.add_argument("--window", type=float, default=0.002, help="the allocator's default")
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--amqp-url", default=os.environ.get(
        "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    settle_heap(ServiceSettings.model_construct().gc_young_threshold)  # as a service has it
    batching = Batching(args.batch_max, args.window, 1.0, args.in_flight)
    runs = [asyncio.run(consume_us(args.amqp_url, args.messages, batching, args.decode))
            for _ in range(args.runs)]
    print(f"consume decode={args.decode} batch_max={args.batch_max} in_flight={args.in_flight}"
          f" {statistics.median(runs):7.2f} us/message (runs "
          f"{', '.join(f'{r:.1f}' for r in runs)}) "
          f"opd_shared={os.path.dirname(opd_shared.__file__)}")


if __name__ == "__main__":
    main()
