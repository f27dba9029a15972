"""What the command-queue check adds to a service's start: `Topology.check_command_queues`
(a passive declare of every name a layout can have, on bare channels, all at once) beside
`Topology.declare_commands`, which every start ran before it, on the real broker.

`uv run python shared/bench/command_queue_check.py [--rounds 9] [--partitions 16] [--queues 2]`

Each round times, on one robust connection (as a service's), alternated: the old start's
declare alone and the new start's check then declare, on the layout already declared (a
restart, the usual case), and the check on a fresh namespace (nothing declared: every probe
finds no queue, and the broker closes its channel). Wall-clock medians in ms, with the
spread. Namespaces are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import aio_pika

from opd_ops.namespaces import remove_namespaces
from opd_shared.topology import Topology

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _timed(step: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await step()
    return (time.perf_counter() - started) * 1e3


async def main(rounds: int, partitions: int, queues: int) -> None:
    root = f"bench_cq_{uuid.uuid4().hex[:8]}"
    names = [f"{root}_{n}" for n in range(rounds + 1)]
    mine = Topology(names[0], partitions, queues)
    times: dict[str, list[float]] = {"declare (old start)": [], "check + declare (new start)": [],
                                     "check, fresh broker": []}
    connection = await aio_pika.connect_robust(AMQP)
    try:
        channel = await connection.channel()
        await mine.declare_commands(channel)
        for number in range(1, rounds + 1):
            times["declare (old start)"].append(
                await _timed(lambda: mine.declare_commands(channel)))

            async def new_start() -> None:
                await mine.check_command_queues(AMQP)
                await mine.declare_commands(channel)

            times["check + declare (new start)"].append(await _timed(new_start))
            fresh = Topology(names[number], partitions, queues)
            times["check, fresh broker"].append(
                await _timed(lambda: fresh.check_command_queues(AMQP)))  # noqa: B023
    finally:
        await connection.close()
        await remove_namespaces(AMQP, POSTGRES, names, partitions, f"{root}\\_%")
    for label, values in times.items():
        print(f"{label:30s} median {statistics.median(values):6.1f} ms "
              f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--queues", type=int, default=2)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.partitions, arguments.queues))
