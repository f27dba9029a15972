"""What the allocator's process and its PostgreSQL backends spend per booking under load,
against the real broker: commands consumed and decoded, rounds, replies published, the
relay's events, metrics, which decide_bench leaves out (it drives the deciders directly).

`uv run python services/allocator/bench/load_cost.py [--rate 400] [--duration 20]
[--doctors 64] [--profile FILE]`

Two processes: the allocator as `bootstrap.start` runs it in production (its broker
objects in a namespace of their own and its own database, both removed afterwards), and
this one, which registers `--doctors` doctors with four slots each through the command
queues, then offers bookings open-loop at `--rate` a second over those slots (one source a
slot, as in the system bench: nobody overtakes anybody), gathered as the gateway gathers
them: each partition queue's commands of a 2 ms tick in one version-2 message, its reply
queue consuming the batched replies. The figures are the allocator process's CPU and its
database's backends' CPU (user and system, /proc: the server runs on this machine) over the
timed seconds, per booking decided; `--profile FILE` records the allocator with py-spy
meanwhile (raw, for flame graphs).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import psutil
from aio_pika import DeliveryMode

PY_SPY = Path.home() / ".local/bin/py-spy"  # `uv tool install py-spy`
TICK_S = 0.002  # the gateway's outlets gather a queue's commands about this long
DAY = dt.date.today() + dt.timedelta(days=2)


def _cpu_s(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


async def serve(namespace: str, ready: str) -> None:
    """The allocator, as its app's lifespan starts it, until terminated."""
    from allocator import bootstrap
    from allocator.settings import AllocatorSettings

    async with bootstrap.start(AllocatorSettings(namespace=namespace, log_level="WARNING")):
        Path(ready).write_text("ready")  # noqa: ASYNC240 - once, at startup
        await asyncio.Future()


class Client:
    """The gateway's side: commands out per partition queue in ticks, replies matched."""

    def __init__(self, namespace: str) -> None:
        from allocator.settings import AllocatorSettings

        self.settings = AllocatorSettings(namespace=namespace)
        self.topology = self.settings.topology
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.pending: dict[int, list[Any]] = {}
        self.statuses: Counter[str] = Counter()
        self.messages = 0

    async def connect(self) -> None:
        import aio_pika

        self.connection = await aio_pika.connect(self.settings.amqp_url)
        self.channel = await self.connection.channel(publisher_confirms=False)
        replies = await self.channel.declare_queue(exclusive=True, auto_delete=True)
        self.reply_queue = replies.name
        await replies.consume(self._on_reply, no_ack=True)
        self.ticker = asyncio.create_task(self._tick())

    async def _on_reply(self, message: Any) -> None:
        for reply in orjson.loads(message.body)["replies"]:
            waiter = self.waiting.pop(reply["command_id"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(reply)

    async def decide(self, command: Any) -> dict[str, Any]:
        from opd_contracts import CommandEnvelope

        envelope = CommandEnvelope(command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC),
                                   fingerprint=secrets.token_hex(8), command=command)
        waiter = asyncio.get_running_loop().create_future()
        self.waiting[str(envelope.command_id)] = waiter
        queue = self.topology.queue_of(command.partition(self.topology.partitions))
        self.pending.setdefault(queue, []).append(envelope)
        reply = await asyncio.wait_for(waiter, 30)
        self.statuses["ok" if reply["ok"] else reply.get("error", {}).get("code", "no")] += 1
        return reply

    async def _tick(self) -> None:
        from aio_pika import Message

        from opd_contracts import CommandBatch

        exchange = await self.channel.get_exchange(self.topology.commands_exchange)
        while True:
            await asyncio.sleep(TICK_S)
            pending, self.pending = self.pending, {}
            for queue, waiting in pending.items():
                for first in range(0, len(waiting), 100):  # a message carries 100 at most
                    await self._publish(exchange, Message, CommandBatch, queue,
                                        waiting[first:first + 100])

    async def _publish(self, exchange: Any, Message: Any, CommandBatch: Any, queue: int,  # noqa: N803
                       envelopes: list[Any]) -> None:
        self.messages += 1
        await exchange.publish(Message(
            CommandBatch(commands=envelopes).model_dump_json().encode(),
            content_type="application/json", delivery_mode=DeliveryMode.PERSISTENT,
            message_id=str(envelopes[0].command_id), reply_to=self.reply_queue),
            routing_key=self.topology.routing_key(queue))


async def slots_of(client: Client, doctors: int) -> list[dict[str, Any]]:
    from opd_contracts import OpenSlot, RegisterDoctor

    made = await asyncio.gather(*(client.decide(RegisterDoctor(
        name=f"Dr. L {n}", specialization="Bench")) for n in range(doctors)))
    return [reply["result"] for reply in await asyncio.gather(*(client.decide(OpenSlot(
        doctor_id=doctor["result"]["id"], date=DAY, start_time=dt.time(8 + h),
        end_time=dt.time(9 + h), max_capacity=500)) for doctor in made for h in range(4)))]


async def offer(client: Client, slots: list[dict[str, Any]], rate: float, seconds: float,
                first: int) -> int:
    """Open loop: booking n leaves at n / rate seconds; how many were offered."""
    from opd_contracts import BookToken

    async def book(n: int) -> None:
        slot = slots[n % len(slots)]
        try:
            await client.decide(BookToken(doctor_id=slot["doctor_id"], slot_id=slot["id"],
                                          patient_name=f"P {n}", source="online"))
        except TimeoutError:
            client.statuses["timeout"] += 1

    tasks, start, count = [], time.monotonic(), int(rate * seconds)
    for n in range(count):
        if (wait := start + n / rate - time.monotonic()) > 0.002:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(book(first + n)))
    await asyncio.gather(*tasks)
    return count


async def _backends(database: str) -> list[int]:
    import asyncpg

    from opd_shared.settings import ServiceSettings

    dsn = ServiceSettings().postgres_url.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(dsn)
    try:
        return [row[0] for row in await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
    finally:
        await connection.close()


async def measure(namespace: str, child: subprocess.Popen[bytes], rate: float, seconds: float,
                  doctors: int, profile: str | None) -> None:
    client = Client(namespace)
    await client.connect()
    slots = await slots_of(client, doctors)
    offered = await offer(client, slots, rate, 3, 0)  # warm up: connections, caches
    database = client.settings.database_url.rsplit("/", 1)[-1]
    spy = None
    if profile:
        spy = subprocess.Popen(  # noqa: ASYNC220 - started once, before the timed part
            [str(PY_SPY), "record", "-p", str(child.pid), "-d", str(int(seconds)), "-r", "50",
             "-f", "raw", "-o", profile, "--nonblocking"], stdout=subprocess.DEVNULL)
    client.statuses.clear()
    messages = client.messages
    pids = await _backends(database)
    backends = {pid: _cpu_s(pid) for pid in pids}
    cpu, wall = _cpu_s(child.pid), time.perf_counter()
    await offer(client, slots, rate, seconds, offered)
    cpu, wall = _cpu_s(child.pid) - cpu, time.perf_counter() - wall
    server = sum(_cpu_s(pid) - backends.get(pid, 0.0) for pid in await _backends(database))
    if spy:
        spy.wait()
    decided = client.statuses["ok"]
    print(f"offered {rate:.0f}/s for {seconds:.0f} s: {dict(client.statuses)}, "
          f"{decided / max(1, client.messages - messages):.1f} commands a message; allocator "
          f"CPU {100 * cpu / wall:.0f}% of a core, {1e6 * cpu / max(1, decided):.0f} us per "
          f"booking; its PostgreSQL backends {1e6 * server / max(1, decided):.0f} us per "
          f"booking; load average {os.getloadavg()[0]:.1f}", flush=True)
    client.ticker.cancel()
    await client.connection.close()


def run(rate: float, seconds: float, doctors: int, profile: str | None) -> None:
    import uvloop

    from allocator.settings import AllocatorSettings
    from opd_ops.namespaces import remove_namespaces

    namespace = f"bench_{secrets.token_hex(4)}"
    settings = AllocatorSettings(namespace=namespace)
    with tempfile.NamedTemporaryFile("w+", suffix=".ready") as ready:
        child = subprocess.Popen([sys.executable, __file__, "--serve", namespace, ready.name])
        try:
            deadline = time.monotonic() + 60
            while child.poll() is None and time.monotonic() < deadline:
                if Path(ready.name).read_text():
                    break
                time.sleep(0.2)
            uvloop.run(measure(namespace, child, rate, seconds, doctors, profile))
        finally:
            child.terminate()
            child.wait(30)
            asyncio.run(remove_namespaces(settings.amqp_url, settings.postgres_url,
                                          [namespace], settings.partitions, f"{namespace}_%"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=400)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--doctors", type=int, default=64)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvloop

        uvloop.run(serve(*args.serve))
    else:
        run(args.rate, args.duration, args.doctors, args.profile)


if __name__ == "__main__":
    main()
