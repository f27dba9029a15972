"""The gateway's CPU per AMQP message, one path at a time, each against its alternative:
a command message published and confirmed (aiormq's `basic_publish`, waiting for the
connection's writer to drain the socket, `wait=True`, or not, as the bus does), and a reply
message delivered (through aio-pika's `Queue.consume`, as the bus does, or aiormq's
`basic_consume` directly). bus_cost.py counts the whole bus, where these differences are
lost in the noise of a few messages a command.

`uv run python services/booking-gateway/bench/amqp_cost.py [--messages 4000]
[--rounds 6]`

Against OPD_AMQP_URL, in queues of its own (exclusive, gone with the connection). Publishes:
`--messages` confirmed publishes of a 3 KB body (a batch of a few commands) to a queue, from
4 tasks at once, as the outlets publish. Deliveries: the queue filled with `--messages`
replies of 1 KB first, then this process's CPU until all were consumed (`no_ack`). The
variants alternate, `--rounds` each; medians in us a message, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
import uvloop
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aiormq.abc import DeliveredMessage

from booking_gateway.settings import GatewaySettings
from opd_shared.messaging.properties import command_properties, reply_properties

PUBLISHERS = 4


async def publishes(channel: AbstractChannel, queue: str, messages: int, *,
                    wait: bool) -> float:
    """us of CPU a confirmed publish."""
    underlay: Any = await channel.get_underlay_channel()  # aiormq's Channel: has `wait`
    body = b"x" * 3000
    properties = command_properties("bench", "bench.replies", None)

    async def publisher() -> None:
        for _ in range(messages // PUBLISHERS):
            await underlay.basic_publish(body, exchange="", routing_key=queue,
                                         properties=properties, mandatory=True, timeout=5,
                                         wait=wait)

    cpu = time.process_time()
    await asyncio.gather(*(publisher() for _ in range(PUBLISHERS)))
    return 1e6 * (time.process_time() - cpu) / messages


async def deliveries(channel: AbstractChannel, queue: AbstractQueue, messages: int, *,
                     through_aio_pika: bool) -> float:
    """us of CPU a delivered reply message, the queue filled before the clock starts."""
    underlay: Any = await channel.get_underlay_channel()
    body = b"y" * 1000
    for _ in range(messages):  # confirmed: in the queue once this loop is done
        await underlay.basic_publish(body, routing_key=queue.name,
                                     properties=reply_properties(None))
    received = 0
    done = asyncio.get_running_loop().create_future()

    def count() -> None:
        nonlocal received
        received += 1
        if received == messages:
            done.set_result(None)

    async def on_incoming(message: AbstractIncomingMessage) -> None:
        count()

    async def on_delivered(message: DeliveredMessage) -> None:
        count()

    cpu = time.process_time()
    if through_aio_pika:
        tag = await queue.consume(on_incoming, no_ack=True)
        await done
        cpu = time.process_time() - cpu
        await queue.cancel(tag)
    else:
        tag = (await underlay.basic_consume(queue.name, on_delivered, no_ack=True)).consumer_tag
        await done
        cpu = time.process_time() - cpu
        await underlay.basic_cancel(tag)
    return 1e6 * cpu / messages


async def alternate(name: str, variants: dict[str, Callable[[], Awaitable[float]]],
                    rounds: int) -> None:
    figures: dict[str, list[float]] = {variant: [] for variant in variants}
    for _ in range(rounds):
        for variant, measure in variants.items():
            figures[variant].append(await measure())
    for variant, values in figures.items():
        print(f"{name}, {variant}: median {statistics.median(values):.1f} us a message "
              f"({', '.join(f'{value:.0f}' for value in values)})")


async def main(messages: int, rounds: int) -> None:
    connection = await aio_pika.connect_robust(GatewaySettings().amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        name = f"bench.amqp_cost.{secrets.token_hex(4)}"
        queue = await channel.declare_queue(name, exclusive=True,
                                            arguments={"x-max-length": messages})
        await publishes(channel, name, messages, wait=True)  # warm-up
        await alternate("confirmed publish", {
            "waiting for the drain (wait=True)":
                lambda: publishes(channel, name, messages, wait=True),
            "not waiting (wait=False)":
                lambda: publishes(channel, name, messages, wait=False)}, rounds)
        await queue.purge()
        await alternate("reply delivery (no_ack)", {
            "aio-pika Queue.consume":
                lambda: deliveries(channel, queue, messages, through_aio_pika=True),
            "aiormq basic_consume":
                lambda: deliveries(channel, queue, messages, through_aio_pika=False)},
            rounds)
    finally:
        await connection.close()
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    uvloop.run(main(args.messages, args.rounds))
