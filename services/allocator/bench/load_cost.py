"""What the allocator's process and its PostgreSQL backends spend per booking under load,
against the real broker: commands consumed and decoded, rounds, replies published, the
relay's events, metrics, which decide_bench leaves out (it drives the deciders directly).

`uv run python services/allocator/bench/load_cost.py [--rate 600] [--duration 15]
[--doctors 64] [--messages 3] [--commands 1] [--profile FILE]`

Two processes: the allocator as `bootstrap.start` runs it in production (its broker
objects in a namespace of their own and its own database, both removed afterwards), and
this one, which registers `--doctors` doctors with four slots each through the command
queues, then offers bookings open-loop at `--rate` a second over those slots (one source a
slot, as in the system bench: nobody overtakes anybody), in ticks of `--messages`
version-2 messages of `--commands` bookings each, each message to the next command queue,
as the gateway's outlets send what a tick gathered for each queue; its reply queue
consumes the batched replies, and a queue of its own counts the relay's messages on the
events exchange (the broker's and the read models' cost is per message). Fixed counts,
not the gateway's gathering over a timed tick: on this shared machine a timed tick
gathered 2.4 to 3.6 commands a message from run to run, and the allocator's cost per
booking followed it (530 to 770 us).

The figures are the allocator process's CPU and its database's backends' CPU (user and
system, /proc: the server runs on this machine) over the timed seconds, per booking decided,
and each message's time from its publish to its replies (p50, p99: the load generator's
event loop shares this machine too, so a figure, not the gateway's latency);
they mean something only while the allocator keeps up with the rate offered (its CPU share
times the timed seconds: a backlog makes bigger rounds, cheaper ones); `--profile FILE`
records the allocator with py-spy meanwhile (raw, for flame graphs).
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

from opd_contracts.topology import partition_of_doctor

PY_SPY = Path.home() / ".local/bin/py-spy"  # `uv tool install py-spy`
DAY = dt.date.today() + dt.timedelta(days=2)


def _cpu_s(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


async def serve(namespace: str, ready: str) -> None:
    """The allocator, as its app's lifespan starts it (the collector set as
    `process_settings` sets it), until terminated."""
    from allocator import bootstrap
    from allocator.settings import AllocatorSettings
    from opd_shared.heap import settle_heap

    settings = AllocatorSettings(namespace=namespace, log_level="WARNING")
    settle_heap(settings.gc_young_threshold)
    async with bootstrap.start(settings):
        Path(ready).write_text("ready")  # noqa: ASYNC240 - once, at startup
        await asyncio.Future()


class Client:
    """The gateway's side: commands out as version-2 messages, replies matched."""

    def __init__(self, namespace: str) -> None:
        from allocator.settings import AllocatorSettings

        self.settings = AllocatorSettings(namespace=namespace)
        self.topology = self.settings.topology
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.statuses: Counter[str] = Counter()
        self.latencies: list[float] = []  # seconds from a message's publish to its replies
        self.event_messages = 0  # the relay's messages seen on the events exchange

    async def connect(self) -> None:
        import aio_pika

        self.connection = await aio_pika.connect(self.settings.amqp_url)
        self.channel = await self.connection.channel(publisher_confirms=False)
        replies = await self.channel.declare_queue(exclusive=True, auto_delete=True)
        self.reply_queue = replies.name
        await replies.consume(self._on_reply, no_ack=True)
        self.exchange = await self.channel.get_exchange(self.topology.commands_exchange)
        events = await self.channel.declare_queue(exclusive=True, auto_delete=True)
        await events.bind(self.topology.events_exchange, "#")
        await events.consume(self._on_event, no_ack=True)

    async def _on_event(self, message: Any) -> None:
        self.event_messages += 1

    async def _on_reply(self, message: Any) -> None:
        for reply in orjson.loads(message.body)["replies"]:
            waiter = self.waiting.pop(reply["command_id"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(reply)

    async def decide(self, commands: list[Any]) -> list[dict[str, Any]]:
        """One message of `commands` (of one command queue), their replies."""
        from aio_pika import Message

        from opd_contracts import CommandBatch, CommandEnvelope

        envelopes = [CommandEnvelope(command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC),
                                     fingerprint=secrets.token_hex(8), command=command)
                     for command in commands]
        loop = asyncio.get_running_loop()
        waiters = [self.waiting.setdefault(str(e.command_id), loop.create_future())
                   for e in envelopes]
        queue = self.topology.queue_of(commands[0].partition(self.topology.partitions))
        sent = time.perf_counter()
        await self.exchange.publish(Message(
            CommandBatch(commands=envelopes).model_dump_json().encode(),
            content_type="application/json", delivery_mode=DeliveryMode.PERSISTENT,
            message_id=str(envelopes[0].command_id), reply_to=self.reply_queue),
            routing_key=self.topology.routing_key(queue))
        try:
            replies = await asyncio.wait_for(asyncio.gather(*waiters), 30)
        except TimeoutError:
            self.statuses["timeout"] += len(commands)
            return []
        self.latencies.append(time.perf_counter() - sent)
        for reply in replies:
            self.statuses["ok" if reply["ok"] else str(reply.get("error"))[:60]] += 1
        return replies


async def slots_of(client: Client, doctors: int) -> dict[int, list[dict[str, Any]]]:
    """Each command queue's slots, four of each of `doctors` doctors."""
    from opd_contracts import OpenSlot, RegisterDoctor

    made = await asyncio.gather(*(client.decide([RegisterDoctor(
        name=f"Dr. L {n}", specialization="Bench")]) for n in range(doctors)))
    opened = await asyncio.gather(*(client.decide([OpenSlot(
        doctor_id=doctor[0]["result"]["id"], date=DAY, start_time=dt.time(8 + h),
        end_time=dt.time(9 + h), max_capacity=500)]) for doctor in made for h in range(4)))
    by_queue: dict[int, list[dict[str, Any]]] = {}
    topology = client.topology
    for (reply,) in opened:
        slot = reply["result"]
        queue = topology.queue_of(partition_of_doctor(slot["doctor_id"], topology.partitions))
        by_queue.setdefault(queue, []).append(slot)
    return by_queue


async def offer(client: Client, slots: dict[int, list[dict[str, Any]]], rate: float,
                seconds: float, shape: tuple[int, int], first: int) -> int:
    """Open loop, in ticks: each tick sends `messages` messages of `commands` bookings, each
    to the next command queue, tick t leaving at t * messages * commands / rate seconds; how
    many bookings were offered."""
    from opd_contracts import BookToken

    messages, commands = shape
    queues, per_tick = sorted(slots), messages * commands

    def booking(n: int, queue: int) -> BookToken:
        slot = slots[queue][n // len(queues) % len(slots[queue])]
        return BookToken(doctor_id=slot["doctor_id"], slot_id=slot["id"],
                         patient_name=f"P {n}", source="online")

    tasks, start, ticks = [], time.monotonic(), int(rate * seconds) // per_tick
    for t in range(ticks):
        if (wait := start + t * per_tick / rate - time.monotonic()) > 0.001:
            await asyncio.sleep(wait)
        for m in range(messages):
            n = first + (t * messages + m) * commands
            queue = queues[(t * messages + m) % len(queues)]
            tasks.append(asyncio.create_task(client.decide(
                [booking(n + i, queue) for i in range(commands)])))
    await asyncio.gather(*tasks)
    return ticks * per_tick


async def _backends(database: str) -> tuple[list[int], int]:
    """The database's backends, and how many transactions it committed (the rounds, and the
    relay's statements: the figures per booking follow the rounds' size)."""
    import asyncpg

    from opd_shared.settings import ServiceSettings

    dsn = ServiceSettings().postgres_url.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(dsn)
    try:
        pids = [row[0] for row in await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        commits = await connection.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", database)
        return pids, int(commits)
    finally:
        await connection.close()


async def measure(namespace: str, child: subprocess.Popen[bytes], rate: float, seconds: float,
                  doctors: int, shape: tuple[int, int], profile: str | None) -> None:
    client = Client(namespace)
    await client.connect()
    slots = await slots_of(client, doctors)
    offered = await offer(client, slots, rate, 3, shape, 0)  # warm up: caches
    database = client.settings.database_url.rsplit("/", 1)[-1]
    spy = None
    if profile:
        spy = subprocess.Popen(  # noqa: ASYNC220 - started once, before the timed part
            [str(PY_SPY), "record", "-p", str(child.pid), "-d", str(int(seconds)), "-r", "50",
             "-f", "raw", "-o", profile, "--nonblocking"], stdout=subprocess.DEVNULL)
    client.statuses.clear()
    client.latencies.clear()
    client.event_messages = 0
    pids, commits = await _backends(database)
    backends = {pid: _cpu_s(pid) for pid in pids}
    cpu, wall = _cpu_s(child.pid), time.perf_counter()
    await offer(client, slots, rate, seconds, shape, offered)
    cpu, wall = _cpu_s(child.pid) - cpu, time.perf_counter() - wall
    pids, commits_after = await _backends(database)
    server = sum(_cpu_s(pid) - backends.get(pid, 0.0) for pid in pids)
    if spy:
        spy.wait()
    decided = client.statuses["ok"]
    latencies = sorted(client.latencies) or [0.0]
    p50, p99 = (1e3 * latencies[int(q * (len(latencies) - 1))] for q in (0.5, 0.99))
    print(f"offered {rate:.0f}/s for {seconds:.0f} s: {dict(client.statuses)}, "
          f"ticks of {shape[0]} messages of {shape[1]} commands; allocator "
          f"CPU {100 * cpu / wall:.0f}% of a core, {1e6 * cpu / max(1, decided):.0f} us per "
          f"booking; its PostgreSQL backends {1e6 * server / max(1, decided):.0f} us per "
          f"booking; {(commits_after - commits) / max(1, decided):.2f} commits and "
          f"{client.event_messages / max(1, decided):.3f} event messages a booking; "
          f"replies p50 {p50:.1f} ms, p99 {p99:.1f} ms; load "
          f"average {os.getloadavg()[0]:.1f}", flush=True)
    await client.connection.close()


def run(rate: float, seconds: float, doctors: int, shape: tuple[int, int],
        profile: str | None) -> None:
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
            uvloop.run(measure(namespace, child, rate, seconds, doctors, shape, profile))
        finally:
            child.terminate()
            child.wait(30)
            asyncio.run(remove_namespaces(settings.amqp_url, settings.postgres_url,
                                          [namespace], settings.partitions, f"{namespace}_%"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=600)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--doctors", type=int, default=64)
    parser.add_argument("--messages", type=int, default=3, help="messages a tick")
    parser.add_argument("--commands", type=int, default=1, help="commands a message")
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvloop

        uvloop.run(serve(*args.serve))
    else:
        run(args.rate, args.duration, args.doctors, (args.messages, args.commands), args.profile)


if __name__ == "__main__":
    main()
