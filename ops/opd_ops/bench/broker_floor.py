"""`uv run python -m opd_ops.bench.broker_floor`: what RabbitMQ alone spends on one booking.

A booking, in messages (docs/ARCHITECTURE.md), is: a command (persistent, confirmed,
mandatory) into its partition's quorum queue; the allocator's reply into the gateway's
reply queue; one event (persistent, confirmed) to the events exchange, which hands a copy
to each read model's quorum queue; every queue's delivery acked. This plays exactly those
messages, on the product's own topology in a namespace of its own, with no service, no
database and no HTTP, and reads the broker's CPU (the beam.smp process) meanwhile. The
figure it prints is a floor: whatever the services do, the broker's share of the two
cores is at least this much at that rate. Removes its namespace afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time

import aio_pika
import psutil
from aio_pika.abc import AbstractIncomingMessage

from opd_contracts.topology import READ_MODELS
from opd_ops.namespaces import remove_namespaces
from opd_shared.settings import ServiceSettings
from opd_shared.topology import Topology

__all__ = ["measure"]

BODY = b"x" * 600  # about the size of a command, a reply and an event


class _Counter:
    def __init__(self, expected: int) -> None:
        self.left = expected
        self.done = asyncio.Event()

    def one(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.done.set()


async def _allocator_stand_in(topology: Topology, connection: aio_pika.abc.AbstractConnection,
                              events: aio_pika.abc.AbstractExchange | None,
                              events_per_message: int) -> None:
    """Per command: a reply (as the allocator sends it: no confirm), then the ack; and per
    `events_per_message` commands one event message (confirmed), unless `events` is None."""
    channel = await connection.channel(publisher_confirms=False)
    await channel.set_qos(prefetch_count=100)
    unsent = 0

    async def decide(message: AbstractIncomingMessage) -> None:
        nonlocal unsent
        await channel.default_exchange.publish(
            aio_pika.Message(BODY, correlation_id=message.correlation_id),
            routing_key=message.reply_to or "")
        unsent += 1
        if events is not None and unsent == events_per_message:
            unsent = 0
            await events.publish(
                aio_pika.Message(BODY * events_per_message,
                                 headers={"events": events_per_message},
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key="token.allocated")
        await message.ack()

    for partition in range(topology.partitions):
        queue = await channel.get_queue(topology.partition_queue(partition))
        await queue.consume(decide)


async def _readers(topology: Topology, connection: aio_pika.abc.AbstractConnection,
                   finished: _Counter, with_events: bool) -> str:
    """The read models' stand-ins (ack each event) and the gateway's reply queue, whose name
    is returned."""
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=200)

    async def applied(message: AbstractIncomingMessage) -> None:
        await message.ack()
        for _ in range(int((message.headers or {}).get("events", 1))):  # type: ignore[arg-type]
            finished.one()

    async def answered(message: AbstractIncomingMessage) -> None:
        finished.one()

    for consumer in READ_MODELS if with_events else ():
        await (await channel.get_queue(topology.consumer_queue(consumer))).consume(applied)
    replies = await channel.declare_queue(exclusive=True)
    await replies.consume(answered, no_ack=True)
    return replies.name


async def _offer(commands: aio_pika.abc.AbstractExchange, topology: Topology, rate: float,
                 total: int, reply_to: str) -> None:
    """Open loop: command n leaves at n / rate seconds, whatever became of earlier ones."""
    started, sends = time.monotonic(), []
    for n in range(total):
        if (wait := started + n / rate - time.monotonic()) > 0.002:
            await asyncio.sleep(wait)
        message = aio_pika.Message(BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                   correlation_id=str(n), reply_to=reply_to)
        sends.append(asyncio.create_task(commands.publish(
            message, routing_key=topology.routing_key(n % topology.partitions), mandatory=True)))
    await asyncio.gather(*sends)


async def measure(settings: ServiceSettings, rate: float, seconds: float,
                  with_events: bool = True, events_per_message: int = 1) -> dict[str, float]:
    """Broker CPU per booking at `rate`, in the namespace of `settings`. Without events, only
    what no design can avoid: the command and its reply. With `events_per_message` above 1,
    as if the relay sent a transaction's events in one message (the contract does not)."""
    topology = settings.topology
    total = int(rate * seconds) // events_per_message * events_per_message
    beam = next((p for p in psutil.process_iter(["name"]) if p.info["name"] == "beam.smp"), None)
    if beam is None:
        raise SystemExit("RabbitMQ's process (beam.smp) is not on this machine, and the floor "
                         "is its CPU: run this where the broker runs")
    finished = _Counter(total * (1 + (len(READ_MODELS) if with_events else 0)))
    async with await aio_pika.connect(settings.amqp_url) as connection:
        setup = await connection.channel()
        await topology.declare_commands(setup)
        for consumer in READ_MODELS:
            await topology.declare_consumer(setup, consumer)
        confirmed = await connection.channel(publisher_confirms=True, on_return_raises=True)
        events = await topology.declare_events(confirmed)
        await _allocator_stand_in(topology, connection, events if with_events else None,
                                  events_per_message)
        reply_to = await _readers(topology, connection, finished, with_events)
        commands = await confirmed.get_exchange(topology.commands_exchange)

        before, started, ours = beam.cpu_times(), time.monotonic(), time.process_time()
        await _offer(commands, topology, rate, total, reply_to)
        await asyncio.wait_for(finished.done.wait(), timeout=seconds + 30)  # else one was lost
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
    parser.add_argument("--events-per-message", type=int, default=1,
                        help="what if one event message carried this many bookings' events")
    args = parser.parse_args()
    settings = ServiceSettings()
    settings = settings.model_copy(update={"namespace": f"floor_{secrets.token_hex(4)}"})
    print("offered/s  achieved/s  broker CPU %  broker CPU/booking  aio-pika CPU/booking")
    try:
        for rate in (float(r) for r in args.rates.split(",")):
            row = asyncio.run(measure(settings, rate, args.duration, not args.without_events,
                                      args.events_per_message))
            print(f"{row['offered_rate']:9.0f}  {row['achieved_rate']:10.0f}  "
                  f"{row['broker_cpu_percent']:12.0f}  {row['broker_us_per_booking']:15.0f} us"
                  f"  {row['client_us_per_booking']:17.0f} us")
    finally:
        asyncio.run(remove_namespaces(settings.amqp_url, settings.postgres_url,
                                      [settings.namespace], settings.partitions,
                                      f"{settings.namespace}_%"))


if __name__ == "__main__":
    main()
