"""How fast the allocator decides bookings, without the broker or HTTP around it.

`uv run python services/allocator/bench/decide_bench.py [--sequential 300 --batched 3000]`
(`--sequential 0`, `--batched 0`, `--concurrent 0`, `--no-hot` skip a part;
`--alone-or-not <n>` runs the concurrent part n times each way, alternated, with rounds that
may be alone and rounds fenced from their start: adapters/unit_of_work.py; `--relay` runs the
outbox relay beside the concurrent and mixed parts, its PostgreSQL CPU counted with theirs,
and prints the WAL written a booking; `--outbox-fillfactor 100` undoes migration 0014 first;
`--settled` sets the collector as the service does, `settle_as_service`: unsettled, py-spy
put ~9% of the concurrent part's samples in the collector, which the service does not pay;
`--unfrozen` with it leaves out the freezing of survivors, as before it: gc_pause.py)

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL), drives the
partitions' BatchDeciders directly (sharing one group commit, as in the service), prints
the figures with the CPU this process spent, and drops the database. Under each part, the
CPU of this process and of PostgreSQL's backends, the statements' time and the records
written, per booking (round_meter.py):
- sequential: one booking at a time into one slot (latency, and how it grows as it fills);
- batched: bookings in batches of `--batch` over many doctors of one partition;
- concurrent: every partition at once, each with batches of `--small` bookings, as the
  consumers hand them over under a steady load (each slot booked from one source, as in
  the system bench: nobody overtakes anybody);
- mixed: the same with each slot booked from the four sources in turn, so newcomers
  overtake the waiting (the fairness count changes their tokens);
- hot doctor: 5,000 bookings racing for 200 places of one doctor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import asyncpg
from round_meter import RoundMeter
from scratch import scratch_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.ownership import claim
from allocator.adapters.relay import relay_on
from allocator.adapters.relay_connections import relay_connections
from allocator.adapters.unit_of_work import SqlTransactions
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.main import freeze_cache_survivors
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.group_commit import GroupCommit
from allocator.settings import AllocatorSettings
from opd_contracts import BookToken, CommandEnvelope, OpenSlot, RegisterDoctor, Reply
from opd_contracts.topology import partition_of_doctor
from opd_shared.heap import settle_heap

TOMORROW = dt.date.today() + dt.timedelta(days=2)
PARTITIONS = 16


def settle_as_service(unfrozen: bool = False) -> None:
    """The collector as an allocator process's (opd_shared.app.process_settings and
    allocator.main), with the settings' defaults; `unfrozen`: survivors of collections are
    not frozen, as before allocator.main.freeze_cache_survivors."""
    settings = AllocatorSettings.model_construct()
    settle_heap(settings.gc_young_threshold)
    if not unfrozen:
        freeze_cache_survivors(settings)


def envelope(command: object) -> CommandEnvelope:
    return CommandEnvelope(command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC),
                           fingerprint="bench", command=command)


class Bench:
    def __init__(self, deciders: list[BatchDecider], meter: RoundMeter) -> None:
        self.deciders, self.meter = deciders, meter
        self.relaying: asyncpg.Connection | None = None  # the relay's, when it runs beside

    async def decide(self, commands: list) -> list[Reply]:
        partition = commands[0].partition(PARTITIONS)
        replies = await self.deciders[partition].decide([envelope(c) for c in commands])
        assert all(isinstance(r, Reply) for r in replies), replies
        return replies  # type: ignore[return-value]

    async def doctors(self, count: int, slots: int, capacity: int) -> list[dict]:
        """`count` doctors with `slots` one-hour slots each, the day after tomorrow."""
        made = [await self.decide([RegisterDoctor(name=f"Dr. B {n}", specialization="Bench")])
                for n in range(count)]
        return [(await self.decide([OpenSlot(
            doctor_id=r[0].result["id"], date=TOMORROW, start_time=dt.time(8 + h),
            end_time=dt.time(9 + h), max_capacity=capacity)]))[0].result
            for r in made for h in range(slots)]


def booking(slot: dict, n: int) -> BookToken:
    return BookToken(doctor_id=slot["doctor_id"], slot_id=slot["id"], patient_name=f"P {n}",
                     source=("online", "walk_in", "follow_up", "priority")[n % 4])


async def sequential(bench: Bench, count: int) -> str:
    slot = (await bench.doctors(1, 1, 500))[0]
    await bench.meter.start()
    took, cpu = [], time.process_time()
    for n in range(count):
        start = time.perf_counter()
        await bench.decide([booking(slot, n)])
        took.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / count
    head, tail = took[: count // 5], took[-count // 5:]
    return (f"sequential: {count} single bookings, median {statistics.median(took):.1f} ms;"
            f" first fifth {statistics.median(head):.1f} ms, last fifth"
            f" {statistics.median(tail):.1f} ms; {cpu:.2f} ms CPU each\n"
            + await bench.meter.stop(count))


async def batched(bench: Bench, count: int, size: int, doctors: int) -> str:
    slots = await bench.doctors(doctors, 1, 500)
    mine = [s for s in slots if partition_of_doctor(s["doctor_id"], PARTITIONS)
            == partition_of_doctor(slots[0]["doctor_id"], PARTITIONS)]
    commands = [booking(mine[n % len(mine)], n) for n in range(count)]
    await bench.meter.start()
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, count, size):
        await bench.decide(commands[first:first + size])
    took, cpu = time.perf_counter() - start, (time.process_time() - cpu) * 1000 / count
    return (f"batched: {count} bookings over {len(mine)} doctors of one partition in batches"
            f" of {size}: {count / took:.0f} bookings/s; {cpu:.2f} ms CPU each\n"
            + await bench.meter.stop(count))


async def concurrent(bench: Bench, count: int, small: int, doctors: int,
                     mixed: bool = False) -> str:
    """With `doctors` a multiple of four (as in the system bench), each slot sees one source
    only, and nobody overtakes anybody; `mixed` gives each slot the four in turn."""
    slots = await bench.doctors(doctors, 1, 500)
    lanes: dict[int, list[BookToken]] = {}
    for n in range(count):
        slot = slots[n % len(slots)]
        lanes.setdefault(partition_of_doctor(slot["doctor_id"], PARTITIONS), []).append(
            booking(slot, n // len(slots) if mixed else n))

    async def lane(commands: list[BookToken]) -> None:
        for first in range(0, len(commands), small):
            await bench.decide(commands[first:first + small])

    wal = await _wal(bench)
    await bench.meter.start()
    start, cpu = time.perf_counter(), time.process_time()
    async with _relay_beside(bench):
        await asyncio.gather(*(lane(commands) for commands in lanes.values()))
    took, cpu = time.perf_counter() - start, (time.process_time() - cpu) * 1000 / count
    figures = await bench.meter.stop(count)
    if bench.relaying is not None:
        figures += f"; WAL {(await _wal(bench) - wal) / count:.0f} bytes a booking"
    return (f"{'mixed' if mixed else 'concurrent'}: {count} bookings over {doctors} doctors,"
            f" {len(lanes)} partitions at once in batches of {small}: {count / took:.0f}"
            f" bookings/s; {cpu:.2f} ms CPU each\n" + figures)


async def _wal(bench: Bench) -> int:
    """The server's WAL position: of every database, so a figure holds only on a server
    that nobody else writes to meanwhile."""
    async with bench.meter.engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_current_wal_lsn() - '0/0'")))


class _Published:
    async def publish(self, message: object, routing_key: str) -> None:
        pass  # the broker's part is not measured here


@asynccontextmanager
async def _relay_beside(bench: Bench) -> AsyncIterator[None]:
    """The outbox relay marking what the rounds wrote, every 10 ms, as it follows the
    rounds' commits in the service; what is left is relayed before the part ends."""
    if bench.relaying is None:
        yield
        return
    done = asyncio.Event()

    async def relay() -> None:
        while True:
            await relay_on(bench.relaying, _Published(), range(PARTITIONS))  # type: ignore[arg-type]
            if done.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.01)

    task = asyncio.create_task(relay())
    try:
        yield
    finally:
        done.set()
        await task


async def hot(bench: Bench, size: int) -> str:
    slots = await bench.doctors(1, 4, 50)
    commands = [booking(slots[n % 4], n) for n in range(5000)]
    await bench.meter.start()
    start, booked = time.perf_counter(), 0
    for first in range(0, len(commands), size):
        booked += sum(r.ok for r in await bench.decide(commands[first:first + size]))
    took = time.perf_counter() - start
    return (f"hot doctor: {booked} of 200 places booked, {5000 / took:.0f} decisions/s\n"
            + await bench.meter.stop(5000))


async def run(args: argparse.Namespace, bench: Bench) -> None:
    if args.sequential:
        print(await sequential(bench, args.sequential), flush=True)
    if args.batched:
        print(await batched(bench, args.batched, args.batch, args.doctors), flush=True)
    if args.concurrent:
        transactions = bench.deciders[0].group.transactions
        for alone in [True, False] * args.alone_or_not or [transactions.alone]:
            transactions.alone = alone
            way = "" if not args.alone_or_not else (
                "(rounds may be alone) " if alone else "(rounds fenced from the start) ")
            print(way + await concurrent(bench, args.concurrent, args.small, args.doctors),
                  flush=True)
    if args.mixed:
        print(await concurrent(bench, args.mixed, args.small, args.doctors, mixed=True),
              flush=True)
    if not args.no_hot:
        print(await hot(bench, args.batch), flush=True)


@asynccontextmanager
async def one_lane_bench() -> AsyncIterator[tuple[Bench, AllocatorSettings]]:
    """A metered scratch database and a claimed decider for every partition, all on one
    lane, as in an allocator with `commit_lanes` 1; the lane's connection (kept between
    batches) given back at the end."""
    async with scratch_database({"pool_size": 10}, partitions=PARTITIONS) as (settings, engine):
        meter = RoundMeter(engine)
        await meter.install()
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        lane = GroupCommit(SqlTransactions(sessions, PARTITIONS, Policy(FairnessPolicy(10)),
                                           settings.schedule_cache_doctors), settings.timezone)
        deciders = [BatchDecider(p, partial(claim, sessions), lane) for p in range(PARTITIONS)]
        for decider in deciders:
            await decider.claim("bench")
        try:
            yield Bench(deciders, meter), settings
        finally:
            await lane.forget()


async def main(args: argparse.Namespace) -> None:
    async with one_lane_bench() as (bench, settings):
        if args.outbox_fillfactor:
            async with bench.meter.engine.begin() as conn:
                await conn.execute(text(
                    f"ALTER TABLE outbox SET (fillfactor = {args.outbox_fillfactor})"))
        if not args.relay:
            await run(args, bench)
            return
        connections = await relay_connections(settings.database_url)
        try:
            async with connections.acquire() as bench.relaying:
                await run(args, bench)
        finally:
            await connections.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--batched", type=int, default=3000)
    parser.add_argument("--concurrent", type=int, default=5000)
    parser.add_argument("--mixed", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--small", type=int, default=2)
    parser.add_argument("--doctors", type=int, default=200)
    parser.add_argument("--no-hot", action="store_true")
    parser.add_argument("--alone-or-not", type=int, default=0)
    parser.add_argument("--relay", action="store_true")
    parser.add_argument("--outbox-fillfactor", type=int, default=0)
    parser.add_argument("--settled", action="store_true")
    parser.add_argument("--unfrozen", action="store_true")
    arguments = parser.parse_args()
    if arguments.settled:
        settle_as_service(arguments.unfrozen)
    asyncio.run(main(arguments))
