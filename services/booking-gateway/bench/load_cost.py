"""What the gateway's process spends per booking under load, against the real broker: the
commands published, the batched replies consumed, admission, metrics and the refusals,
which the other benches leave out (door_cost.py and app_cost.py answer from the bus's
`send` itself).

`uv run python services/booking-gateway/bench/load_cost.py [--rate 1000] [--decides 371]
[--duration 20] [--profile FILE]`

Three processes: the gateway under uvicorn as production starts it (door_cost.py's
`serve`, its bus on OPD_AMQP_URL in a namespace of its own, removed afterwards); a
stand-in allocator that decides every command with a ready reply, at most `--decides` a
second (0: as fast as it can), replying to each command message with one version-2 reply
batch as the allocator does; and this one, offering bookings open-loop at `--rate` a second
(the load generator's lean client). Decisions paced below the offered rate reproduce the
overload the system sweep sees at 1,000/s (371 decided, the rest refused by admission).
The figure is the gateway process's CPU (user and system, /proc) over the timed seconds,
per answer, with the answers counted by status; `--profile FILE` records the gateway with
py-spy meanwhile (raw, for flame graphs), which adds the sampler's cost to the machine, not
to the figure. With LOAD_COST_NO_BROKER=1 in the environment the gateway's bus answers
every booking at once without the broker (door_cost.py's `admit`), so that the same load
with and without the broker tells the bus's share apart.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, os.path.dirname(__file__))
from door_cost import BOOKING, _cpu_s, _free_port, _ready
from path_profile import RESULT, answered_at_once

PY_SPY = Path.home() / ".local/bin/py-spy"  # `uv tool install py-spy`
EXTRA = os.environ.get("PY_SPY_ARGS", "--nonblocking").split()  # py-spy's options


async def stand_in(namespace: str, decides: float) -> None:
    """The allocator's stand-in: every command decided ok, paced to `decides` a second."""
    import aio_pika

    from booking_gateway.settings import GatewaySettings

    topology = GatewaySettings(namespace=namespace).topology
    connection = await aio_pika.connect_robust(GatewaySettings(namespace=namespace).amqp_url)
    channel = await connection.channel(publisher_confirms=False)
    await channel.set_qos(prefetch_count=50)
    await topology.declare_commands(channel)
    free_at = 0.0  # when the paced decider is next free

    async def decide(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal free_at
        ids = [command["command_id"] for command in orjson.loads(message.body)["commands"]]
        if decides:
            loop = asyncio.get_running_loop()
            free_at = max(loop.time(), free_at) + len(ids) / decides
            await asyncio.sleep(free_at - loop.time())
        body = orjson.dumps({"version": 2, "replies": [
            {"command_id": command_id, "ok": True, "result": RESULT} for command_id in ids]})
        await channel.default_exchange.publish(
            aio_pika.Message(body, content_type="application/json"),
            routing_key=message.reply_to or "")
        await message.ack()

    for number in range(topology.command_queues):
        queue = await channel.get_queue(topology.partition_queue(number))
        await queue.consume(decide)
    await asyncio.Future()  # until terminated


async def offer(base: str, key: str, rate: float, seconds: float) -> Counter[int]:
    """Open loop: booking n leaves at n / rate seconds; the answers' statuses."""
    from opd_ops.bench.lean_http import LeanClient

    client = LeanClient(base, {"Authorization": f"Bearer {key}"}, 4096)
    statuses: Counter[int] = Counter()

    async def book() -> None:
        try:
            answer = await client.post("/api/v1/tokens", BOOKING,
                                       {"Idempotency-Key": uuid.uuid4().hex})
            statuses[answer.status] += 1
        except (OSError, TimeoutError):
            statuses[0] += 1

    tasks, start = [], time.monotonic()
    for n in range(int(rate * seconds)):
        if (wait := start + n / rate - time.monotonic()) > 0.002:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(book()))
    await asyncio.gather(*tasks)
    client.close()
    return statuses


async def measure(child: subprocess.Popen[bytes], port: int, key_file: Path, rate: float,
                  seconds: float, profile: str | None) -> None:
    base = f"http://127.0.0.1:{port}"
    await _ready(base, child)
    key = key_file.read_text()  # noqa: ASYNC240 - written before the server was ready
    await offer(base, key, rate, 3)  # warm up: admission finds its limit
    spy = None
    if profile:
        spy = subprocess.Popen(  # noqa: ASYNC220 - started once, before the timed part
            [str(PY_SPY), "record", "-p", str(child.pid), "-d", str(int(seconds)), "-r",
             os.environ.get("PY_SPY_RATE", "50"), "-f", "raw", "-o", profile, *EXTRA],
            stdout=subprocess.DEVNULL)
    cpu, wall = _cpu_s(child.pid), time.perf_counter()
    statuses = await offer(base, key, rate, seconds)
    cpu, wall = _cpu_s(child.pid) - cpu, time.perf_counter() - wall
    if spy:
        spy.wait()
    answers = sum(statuses.values())
    print(f"commands per message {await _items_per_message(base):.1f}")
    print(f"offered {rate:.0f}/s for {seconds:.0f} s: statuses {dict(sorted(statuses.items()))}; "
          f"gateway CPU {100 * cpu / wall:.0f}% of a core, {1e6 * cpu / answers:.0f} us per "
          f"answer, {1e6 * cpu / max(1, statuses[201]):.0f} us per decided booking (all of "
          f"it); load average {os.getloadavg()[0]:.1f}")


async def _items_per_message(base: str) -> float:
    """The mean of the gateway's `opd_message_items{hop="command"}`, warm-up included (nan:
    nothing was published)."""
    import httpx

    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{base}/metrics")).text
    found = {name: float(value) for name, value in
             (line.rsplit(" ", 1) for line in text.splitlines()
              if line.startswith('opd_message_items_') and 'hop="command"' in line)}
    count = found.get('opd_message_items_count{hop="command"}')
    return found['opd_message_items_sum{hop="command"}'] / count if count else math.nan


def serve(namespace: str, port: int, key_file: str) -> None:
    """The gateway under uvicorn, with a key of unbounded rate written to `key_file`."""
    from contextlib import asynccontextmanager

    import uvicorn

    from booking_gateway.main import create_app
    from booking_gateway.settings import GatewaySettings
    from opd_shared.access import Role
    from opd_shared.heap import settle_heap

    settings = GatewaySettings(namespace=namespace, admin_key=secrets.token_urlsafe(24),
                               log_level="WARNING")
    settle_heap(settings.gc_young_threshold)  # as `process_settings` does in production
    app = create_app(settings)
    started = app.router.lifespan_context

    @asynccontextmanager
    async def with_key(app_: Any) -> AsyncIterator[Any]:
        async with started(app_) as state:
            _, key = await app.state.runtime.guard.store.create(
                "bench", Role.ADMIN, rate_per_minute=1_000_000_000)
            if os.environ.get("LOAD_COST_NO_BROKER"):  # the bus answers at once, as in
                app.state.runtime.bus.send = answered_at_once  # door_cost.py's `admit`
            Path(key_file).write_text(key)  # noqa: ASYNC240 - once, at startup
            yield state

    app.router.lifespan_context = with_key
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                access_log=False, log_level="warning")


def run(rate: float, decides: float, seconds: float, profile: str | None) -> None:
    from booking_gateway.settings import GatewaySettings
    from opd_ops.namespaces import remove_namespaces

    namespace, port = f"bench_{secrets.token_hex(4)}", _free_port()
    settings = GatewaySettings(namespace=namespace)
    with tempfile.NamedTemporaryFile("w+", suffix=".key") as key_file:
        child = subprocess.Popen([sys.executable, __file__, "--serve", namespace, str(port),
                                  key_file.name])
        allocator = None
        try:
            deadline = time.monotonic() + 60
            while child.poll() is None and time.monotonic() < deadline:  # queues declared
                if Path(key_file.name).read_text():
                    break
                time.sleep(0.2)
            allocator = subprocess.Popen([sys.executable, __file__, "--stand-in", namespace,
                                          str(decides)])
            asyncio.run(measure(child, port, Path(key_file.name), rate, seconds, profile))
        finally:
            for process in (allocator, child):
                if process is not None:
                    process.terminate()
                    process.wait(30)
            asyncio.run(remove_namespaces(settings.amqp_url, settings.postgres_url,
                                          [namespace], settings.partitions, f"{namespace}_%"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--decides", type=float, default=371)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--stand-in", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
    elif args.stand_in:
        import uvloop

        uvloop.run(stand_in(args.stand_in[0], float(args.stand_in[1])))
    else:
        run(args.rate, args.decides, args.duration, args.profile)


if __name__ == "__main__":
    main()
