"""What publishing one reply message costs the allocator's process, without a broker:
aiormq's `basic_publish` is stubbed, so only what happens before it is timed.

`uv run python services/allocator/bench/reply_cost.py [--messages 20000 --runs 5]`

Two ways, alternated run by run: `aio_pika.Message` handed to aio-pika's
`Exchange.publish` (how replies left before), and `ReplyBatcher._publish` (properties
built directly, `opd_shared.messaging.properties`). Prints each way's median us a message.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from types import SimpleNamespace

import aio_pika

from allocator.adapters.replies import ReplyBatcher

BODY = '{"replies":[{"command_id":"6c1f0b1e-8d6a-4f0e-9a57-6b1f0d2c3e4f","ok":true}]}'


class Underlay:
    async def basic_publish(self, body: bytes, **arguments: object) -> None:
        pass


class Channel:
    is_closed = False

    def __init__(self) -> None:
        self.underlay = Underlay()

    async def get_underlay_channel(self) -> Underlay:
        return self.underlay


async def as_aio_pika(channel: Channel, messages: int) -> float:
    exchange = SimpleNamespace(internal=False, channel=channel, name="")
    started = time.process_time()
    for _ in range(messages):
        message = aio_pika.Message(BODY.encode(), correlation_id=None,
                                   content_type="application/json")
        await aio_pika.Exchange.publish(exchange, message, routing_key="gw")  # type: ignore[arg-type]
    return (time.process_time() - started) / messages * 1e6


async def as_batcher(channel: Channel, messages: int) -> float:
    batcher = ReplyBatcher(channel)  # type: ignore[arg-type]
    started = time.process_time()
    for _ in range(messages):
        await batcher._publish("gw", BODY, None)
    return (time.process_time() - started) / messages * 1e6


async def main(messages: int, runs: int) -> None:
    channel = Channel()
    figures: dict[str, list[float]] = {"aio-pika Message": [], "ReplyBatcher": []}
    for _ in range(runs):
        figures["aio-pika Message"].append(await as_aio_pika(channel, messages))
        figures["ReplyBatcher"].append(await as_batcher(channel, messages))
    for way, values in figures.items():
        print(f"{way:18} {statistics.median(values):6.2f} us a message "
              f"(runs: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.runs))
