"""`uv run python -m opd_ops.bench.broker_floor`: what RabbitMQ alone spends on one booking.

A booking, in messages (docs/ARCHITECTURE.md), is: a command (persistent, confirmed,
mandatory) into its partition's quorum queue; the allocator's reply into the gateway's
reply queue; one event (persistent, confirmed) to the events exchange, which hands a copy
to each read model's quorum queue; every queue's delivery acked. This plays exactly those
messages, on the product's own topology in a namespace of its own, with no service, no
database and no HTTP, and reads the broker's CPU (the beam.smp process) meanwhile. The
figure it prints is a floor: whatever the services do, the broker's share of the two
cores is at least this much at that rate. Removes its namespace afterwards.

Message contract v2 lets each hop carry batches: `--commands-per-message`,
`--replies-per-message` and `--events-per-message` play a booking's messages that way (each
message then carries that many items, counted in its `items` header), so the floor of a
batched contract can be weighed before it is built. Runs on uvloop, like the services.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import psutil
import uvloop
from aio_pika.abc import AbstractIncomingMessage

from opd_contracts.topology import READ_MODELS
from opd_ops.namespaces import remove_namespaces
from opd_shared.settings import ServiceSettings
from opd_shared.topology import Topology

__all__ = ["Batching", "measure"]

BODY = b"x" * 600  # about the size of a command, a reply and an event


class _Counter:
    """What is still to arrive, per kind (replies, and each read model's events)."""

    def __init__(self, expected: dict[str, int]) -> None:
        self.left = dict(expected)
        self.done = asyncio.Event()

    def one(self, kind: str) -> None:
        self.left[kind] -= 1
        if not any(self.left.values()):
            self.done.set()


@dataclass(frozen=True)
class Batching:
    """How many items each message carries on each hop (1, 1, 1: contract v1)."""

    commands: int = 1
    replies: int = 1
    events: int = 1

    @property
    def unit(self) -> int:
        """Bookings are offered in multiples of this, so that no batch is left half full."""
        return math.lcm(self.commands, self.replies, self.events)


def _message(items: int, persistent: bool, correlation_id: str | None = None,
             reply_to: str | None = None) -> aio_pika.Message:
    return aio_pika.Message(BODY * items, headers={"items": items},
                            correlation_id=correlation_id, reply_to=reply_to,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT if persistent
                            else aio_pika.DeliveryMode.NOT_PERSISTENT)


async def _allocator_stand_in(topology: Topology, connection: aio_pika.abc.AbstractConnection,
                              events: aio_pika.abc.AbstractExchange | None,
                              batching: Batching) -> None:
    """Per command: a reply (as the allocator sends it: no confirm), then the ack of its
    message; replies and events (confirmed, unless `events` is None) leave in messages of
    `batching.replies` and `batching.events` items."""
    channel = await connection.channel(publisher_confirms=False)
    await channel.set_qos(prefetch_count=100)
    waiting = {"replies": 0, "events": 0}

    def full_batches(hop: str, size: int, items: int) -> int:
        """How many messages of `size` items the hop can send once `items` more arrived.
        Counted before any await: callbacks run concurrently, and a counter read after one
        had yielded skipped past its batch size (under load, events stopped leaving)."""
        waiting[hop] += items
        full, waiting[hop] = divmod(waiting[hop], size)
        return full

    async def decide(message: AbstractIncomingMessage) -> None:
        items = _items(message)
        replies = full_batches("replies", batching.replies, items)
        event_messages = full_batches("events", batching.events, items) if events else 0
        for _ in range(replies):
            await channel.default_exchange.publish(
                _message(batching.replies, False, correlation_id=message.correlation_id),
                routing_key=message.reply_to or "")
        if events is not None:
            for _ in range(event_messages):
                await events.publish(_message(batching.events, True),
                                     routing_key="token.allocated")
        await message.ack()

    # One consumer per queue: a queue carries several partitions (ADR 0010), and a second
    # consumer of a single-active-consumer queue would only wait.
    for number in range(topology.command_queues):
        queue = await channel.get_queue(topology.partition_queue(number))
        await queue.consume(decide)


def _items(message: AbstractIncomingMessage) -> int:
    return int((message.headers or {}).get("items", 1))  # type: ignore[arg-type]


async def _readers(topology: Topology, connection: aio_pika.abc.AbstractConnection,
                   finished: _Counter, with_events: bool) -> str:
    """The read models' stand-ins (ack each event) and the gateway's reply queue, whose name
    is returned."""
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=200)

    def applied_by(consumer: str) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def applied(message: AbstractIncomingMessage) -> None:
            await message.ack()
            for _ in range(_items(message)):
                finished.one(consumer)
        return applied

    async def answered(message: AbstractIncomingMessage) -> None:
        for _ in range(_items(message)):
            finished.one("replies")

    for consumer in READ_MODELS if with_events else ():
        queue = await channel.get_queue(topology.consumer_queue(consumer))
        await queue.consume(applied_by(consumer))
    replies = await channel.declare_queue(exclusive=True)
    await replies.consume(answered, no_ack=True)
    return replies.name


async def _offer(commands: aio_pika.abc.AbstractExchange, topology: Topology, rate: float,
                 total: int, reply_to: str, per_message: int) -> None:
    """Open loop: booking n arrives at n / rate seconds, whatever became of earlier ones;
    every `per_message` arrivals leave as one message to one partition."""
    started, sends = time.monotonic(), []
    for n in range(0, total, per_message):
        if (wait := started + (n + per_message - 1) / rate - time.monotonic()) > 0.002:
            await asyncio.sleep(wait)
        message = _message(per_message, True, correlation_id=str(n), reply_to=reply_to)
        partition = (n // per_message) % topology.partitions
        sends.append(asyncio.create_task(commands.publish(
            message, routing_key=topology.routing_key(partition), mandatory=True)))
    await asyncio.gather(*sends)


async def measure(settings: ServiceSettings, rate: float, seconds: float,
                  with_events: bool = True, batching: Batching = Batching(),
                  ) -> dict[str, float]:
    """Broker CPU per booking at `rate`, in the namespace of `settings`. Without events, only
    what no design can avoid: the command and its reply. With `batching`, as contract v2
    would carry them."""
    topology = settings.topology
    total = int(rate * seconds) // batching.unit * batching.unit
    beam = next((p for p in psutil.process_iter(["name"]) if p.info["name"] == "beam.smp"), None)
    if beam is None:
        raise SystemExit("RabbitMQ's process (beam.smp) is not on this machine, and the floor "
                         "is its CPU: run this where the broker runs")
    finished = _Counter({"replies": total} | {m: total for m in READ_MODELS if with_events})
    async with await aio_pika.connect(settings.amqp_url) as connection:
        setup = await connection.channel()
        await topology.declare_commands(setup)
        for consumer in READ_MODELS:
            await topology.declare_consumer(setup, consumer)
        confirmed = await connection.channel(publisher_confirms=True, on_return_raises=True)
        events = await topology.declare_events(confirmed)
        await _allocator_stand_in(topology, connection, events if with_events else None,
                                  batching)
        reply_to = await _readers(topology, connection, finished, with_events)
        commands = await confirmed.get_exchange(topology.commands_exchange)

        before, started, ours = beam.cpu_times(), time.monotonic(), time.process_time()
        await _offer(commands, topology, rate, total, reply_to, batching.commands)
        try:
            await asyncio.wait_for(finished.done.wait(), timeout=seconds + 90)
        except TimeoutError:
            raise TimeoutError(f"of {total} bookings, still missing after {seconds + 90:.0f} s: "
                               f"{finished.left}") from None
        elapsed, after = time.monotonic() - started, beam.cpu_times()
        ours = time.process_time() - ours
    broker_s = (after.user - before.user) + (after.system - before.system)
    return {"offered_rate": rate, "achieved_rate": total / elapsed,
            "broker_cpu_percent": 100 * broker_s / elapsed,
            "broker_us_per_booking": 1e6 * broker_s / total,
            "client_us_per_booking": 1e6 * ours / total}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m opd_ops.bench.broker_floor",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="250,500,1000", help="bookings per second")
    parser.add_argument("--duration", type=float, default=20, help="seconds per rate")
    parser.add_argument("--without-events", action="store_true",
                        help="commands and replies only")
    for hop in ("commands", "replies", "events"):
        parser.add_argument(f"--{hop}-per-message", type=int, default=1,
                            help=f"what if one message carried this many bookings' {hop}")
    args = parser.parse_args()
    batching = Batching(args.commands_per_message, args.replies_per_message,
                        args.events_per_message)
    base = ServiceSettings()
    print(f"items per message: {batching}")
    print("offered/s  achieved/s  broker CPU %  broker CPU/booking  aio-pika CPU/booking")
    used: list[str] = []
    try:
        for rate in (float(r) for r in args.rates.split(",")):
            # A namespace per rate: a run that timed out leaves messages the next must not see.
            used.append(f"floor_{secrets.token_hex(4)}")
            settings = base.model_copy(update={"namespace": used[-1]})
            row = uvloop.run(measure(settings, rate, args.duration, not args.without_events,
                                     batching))
            print(f"{row['offered_rate']:9.0f}  {row['achieved_rate']:10.0f}  "
                  f"{row['broker_cpu_percent']:12.0f}  {row['broker_us_per_booking']:15.0f} us"
                  f"  {row['client_us_per_booking']:17.0f} us")
    finally:
        asyncio.run(remove_namespaces(base.amqp_url, base.postgres_url, used, base.partitions,
                                      "floor_%"))

if __name__ == "__main__":
    main()
