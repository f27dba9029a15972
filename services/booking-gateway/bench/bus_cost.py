"""What the gateway's command bus alone spends on one booking against the real broker: the
command published in its batch and confirmed, the allocator's batched reply consumed and
matched to its waiting request. No HTTP, no key check: the part the other benches replace
with a ready reply.

`uv run python services/booking-gateway/bench/bus_cost.py [--commands 6000]
[--concurrency 32] [--profile]`

The bus is the gateway's own (`CommandBus`, with its admission), connected to OPD_AMQP_URL
in a namespace of its own (removed afterwards); a stand-in allocator in a process of its own
(load_cost.py's) answers every command at once with a version-2 reply batch. `--concurrency`
bookings wait at a time, as many requests in flight at a gateway under load (at 1,000/s
offered about a hundred wait for their decision), so commands leave in batches as there.
The figure is this process's CPU per command over the timed commands, after a warm-up, with
the mean commands a message (`opd_message_items`) and the CPU per command message: most of
the bus's CPU is per message, not per command (amqp_cost.py takes a message's paths one at
a time); `--profile` prints where it went (cProfile). As in the gateway's process, the
start-up heap is frozen and the young generation collected every `gc_young_threshold`
objects (`opd_shared.heap`), and the commands' envelopes are made before the clock starts
(the request path makes them, and door_cost.py counts that). Before, with CPython's
collector defaults and the envelopes made inside the timed part, the figure (119 us a
command) held about 15 us of collections (62 in the timed part) and 7 of making envelopes
(BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import secrets
import subprocess
import sys
import time
import uuid

import uvloop
from prometheus_client import REGISTRY

from booking_gateway.admission import Admission
from booking_gateway.bus import CommandBus
from booking_gateway.settings import GatewaySettings
from opd_contracts import BookToken, CommandEnvelope
from opd_contracts.vocabulary import Source
from opd_ops.namespaces import remove_namespaces
from opd_shared.heap import settle_heap

LOAD_COST = os.path.join(os.path.dirname(__file__), "load_cost.py")


def _envelope(n: int) -> CommandEnvelope:
    command = BookToken(patient_name=f"Patient {n}", patient_phone="+91 98450 00000",
                        doctor_id=1 + n % 50, slot_id=4096, source=Source.ONLINE, channel="bench")
    return CommandEnvelope(command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC),
                           fingerprint="0" * 64, actor="bench", command=command)


async def _drive(bus: CommandBus, envelopes: list[CommandEnvelope], concurrency: int) -> None:
    pending = iter(envelopes)

    async def waiter() -> None:
        for envelope in pending:
            if await bus.send(envelope, 10) is None:
                raise SystemExit("a command was not decided within 10 s")

    await asyncio.gather(*(waiter() for _ in range(concurrency)))


def _command_messages() -> float:
    """How many command messages the bus has published so far."""
    return REGISTRY.get_sample_value("opd_message_items_count", {"hop": "command"}) or 0.0


async def measure(commands: int, concurrency: int, profile: bool) -> None:
    namespace = f"bench_{secrets.token_hex(4)}"
    settings = GatewaySettings(namespace=namespace, log_level="WARNING")
    bus = CommandBus(settings.amqp_url, settings.topology, Admission(10_000, 10))
    allocator = None
    try:
        await bus.connect()  # declares the command queues the stand-in consumes
        allocator = subprocess.Popen(  # noqa: ASYNC220 - once, before the timed part
            [sys.executable, LOAD_COST, "--stand-in", namespace, "0"])
        # warm up (and the stand-in)
        await _drive(bus, [_envelope(n) for n in range(min(commands, 2000))], concurrency)
        envelopes = [_envelope(n) for n in range(commands)]
        profiler = cProfile.Profile(time.process_time) if profile else None
        messages = _command_messages()
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        await _drive(bus, envelopes, concurrency)
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
        messages = _command_messages() - messages
        await bus.close()
    finally:
        if allocator is not None:
            allocator.terminate()
            allocator.wait(30)
        await remove_namespaces(settings.amqp_url, settings.postgres_url, [namespace],
                                settings.partitions, f"{namespace}_%")
    print(f"{commands} commands, {concurrency} waiting at a time: {1e6 * cpu / commands:.0f} "
          f"us of the bus's CPU each, {commands / messages:.1f} a message, "
          f"{1e6 * cpu / messages:.0f} us a message; load average {os.getloadavg()[0]:.1f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    settle_heap(GatewaySettings().gc_young_threshold)  # as the gateway's process does
    uvloop.run(measure(args.commands, args.concurrency, args.profile))


if __name__ == "__main__":
    main()
