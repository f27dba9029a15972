"""What a read model spends applying one allocator event, in its own process and in PostgreSQL.

Issue #13: on two cores a booking costs 6.2 ms of CPU over all processes, and the read
models took ~0.3-0.5 ms of it each (analytics ~500 µs, queue-view ~330, notifier ~340).
One workload and one measurement for all three, so their figures compare: each service's
`bench/apply_cost.py` only says how it applies a batch (`ReadModelUnderTest`).

Each of `--doctors` doctors gets one slot of 500 places (09:00-17:00) already holding
`--filled` tokens, the first with the doctor (seeded, not measured). Then `--batches`
batches of 20-50 events, as the relay hands them over, are applied one transaction each,
as the consumer does: mostly single-token bookings over random doctors, and now and then a
doctor calling the next patient. The clock stands at 10:00 on the slots' day.

Printed per event: this process's CPU (time.process_time: Python, SQLAlchemy, asyncpg),
the wall time, the PostgreSQL backend's CPU (its /proc stat; one pooled connection, so
one backend does all the work) and pg_stat_statements' execution time for the bench's
database, with its costliest statements (calls, rows): a statement run once per row shows
itself as calls == rows. The database (`bench_<hex>_<service>`) is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_contracts import DoctorRecord, EventEnvelope, EventType, TokenRecord
from opd_contracts.vocabulary import Source, TokenStatus, queue_key
from opd_shared.database import Pool, drop_database, migrate, new_engine
from opd_shared.testing import DoctorEvents

__all__ = ["IST", "NOW", "ReadModelUnderTest", "Sessions", "main", "plan"]

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2030, 1, 15)
NOW = dt.datetime.combine(DAY, dt.time(10), IST)
CAPACITY = 500
CALL_SHARE = 0.05  # of the measured events: a doctor calls the next patient
SOURCES = (Source.ONLINE, Source.WALK_IN, Source.WALK_IN, Source.FOLLOW_UP)

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class ReadModelUnderTest:
    """How a read model is migrated and how it applies a batch (in a transaction of its
    own), and optionally a figure of its own to print after the run (what it decided)."""

    name: str
    database_url: str
    migrations: Path
    apply: Callable[[Sessions, list[EventEnvelope]], Awaitable[object]]
    outcome: Callable[[Sessions], Awaitable[str]] | None = None
    # The applying connection's settings, as the service's bootstrap gives them (none: the
    # service's own engine; `opd_shared.database.PLANNED_ONCE`, `readmodel.planning`).
    server_settings: Mapping[str, str] | None = None

    @property
    def connect_args(self) -> dict[str, Any]:
        """`new_engine`'s connection arguments for the applying connections."""
        return {"server_settings": dict(self.server_settings)} if self.server_settings else {}


class Ward(DoctorEvents):
    """One doctor's slot as the allocator would tell it: its live tokens in queue order."""

    def __init__(self, doctor_id: int, rng: random.Random) -> None:
        super().__init__(doctor_id, NOW - dt.timedelta(hours=2))
        self.rng, self.count = rng, 0
        self.slot = self.slot_record(doctor_id * 10, date=DAY, start_time=dt.time(9),
                                     end_time=dt.time(17), max_capacity=CAPACITY)
        self.live: list[TokenRecord] = []

    def book(self) -> TokenRecord:
        self.count += 1
        source = self.rng.choice(SOURCES)
        token = self.token_record(self.slot, source, self.count, **{
            "id": self.doctor_id * 1000 + self.count, "channel": "web-app",
            "patient_phone": f"98450 {self.count:05d}", "ticket": uuid.uuid4().hex})
        self.live.append(token)
        self.slot = self.slot.model_copy(update={"current_count": self.count})
        return token

    def call_next(self) -> list[TokenRecord]:
        """The one consulting is done and the first waiting goes in."""
        self.live.sort(key=lambda t: queue_key(t.status, t.is_emergency, t.priority_score,
                                               t.sequence_number))
        changed = []
        if self.live and self.live[0].status is TokenStatus.CONSULTING:
            changed.append(self.live.pop(0).model_copy(
                update={"status": TokenStatus.COMPLETED, "completed_at": self.now}))
        if self.live:
            self.live[0] = self.live[0].model_copy(update={
                "status": TokenStatus.CONSULTING, "consultation_started_at": self.now})
            changed.append(self.live[0])
        return changed

    def seeded(self, filled: int) -> EventEnvelope:
        booked = [self.book() for _ in range(filled)]
        booked += self.call_next()[-1:]
        return self.event(EventType.TOKEN_ALLOCATED, doctor=self.doctor_record(),
                          slots=[self.slot], tokens=booked)

    def doctor_record(self) -> DoctorRecord:
        return DoctorRecord(id=self.doctor_id, name=f"Dr {self.doctor_id}",
                            specialization="ENT", room="12", created_at=self.now)

    def next_event(self) -> EventEnvelope:
        if self.rng.random() < CALL_SHARE:
            return self.event(EventType.TOKEN_STATUS_CHANGED, slots=[self.slot],
                              tokens=self.call_next())
        token = self.book()
        return self.event(EventType.TOKEN_ALLOCATED, slots=[self.slot], tokens=[token])


def plan(doctors: int, filled: int, batches: int, seed: int
         ) -> tuple[list[list[EventEnvelope]], list[list[EventEnvelope]]]:
    """The seeding batches and the measured ones, made before any clock starts."""
    rng = random.Random(seed)
    wards = [Ward(1000 + n, rng) for n in range(doctors)]
    seeding = [w.seeded(filled) for w in wards]
    measured = []
    for _ in range(batches):
        open_wards = [w for w in wards if w.count < CAPACITY]
        measured.append([rng.choice(open_wards).next_event()
                         for _ in range(rng.randint(20, 50))])
    return [seeding[i:i + 20] for i in range(0, len(seeding), 20)], measured


def _backend_cpu(pid: int) -> float | None:
    """The backend's user + system CPU seconds, or None where its /proc is not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_STATEMENTS = text(
    "SELECT calls, rows, total_exec_time, total_plan_time, query FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " ORDER BY total_exec_time DESC")
_RESET = text("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database"
              " WHERE datname = current_database()), 0)")


async def _count_statements(session: AsyncSession) -> bool:
    """Start pg_stat_statements' count for this database afresh; False where the server
    does not load it (`shared_preload_libraries`): the CPU figures stand without it."""
    try:
        await session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        await session.execute(_RESET)
    except DBAPIError:
        await session.rollback()
        return False
    await session.commit()
    return True


async def _measure(model: ReadModelUnderTest, sessions: Sessions,
                   measured: list[list[EventEnvelope]], profile: str | None,
                   shown: int) -> None:
    async with sessions() as session:
        backend = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
        counted = await _count_statements(session)
    events = sum(len(b) for b in measured)
    backend_cpu = _backend_cpu(backend)
    start, cpu = time.perf_counter(), time.process_time()
    profiler = cProfile.Profile() if profile else None
    for batch in measured:
        if profiler:
            profiler.enable()
        await model.apply(sessions, batch)
        if profiler:
            profiler.disable()
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    backend_after = _backend_cpu(backend)
    statements: Sequence[Row[Any]] = ()
    if counted:
        async with sessions() as session:
            statements = (await session.execute(_STATEMENTS)).all()
    outcome = await model.outcome(sessions) if model.outcome else ""
    pg_ms = sum(s.total_exec_time + s.total_plan_time for s in statements)
    pg_time = (f"{pg_ms / events * 1e3:.0f} µs statements' time per event"
               f" ({sum(s.calls for s in statements) / len(measured):.1f} statements per batch)"
               if counted else "statements' time n/a (pg_stat_statements not loaded)")
    pg_cpu = (f"{(backend_after - backend_cpu) / events * 1e6:.0f} µs"
              if backend_cpu is not None and backend_after is not None else "n/a")
    print(f"{model.name}: {events} events in {len(measured)} batches of 20-50")
    print(f"  {cpu / events * 1e6:.0f} µs CPU per event (this process),"
          f" {took / events * 1e6:.0f} µs wall per event; PostgreSQL: {pg_cpu} backend CPU,"
          f" {pg_time}{'; ' + outcome if outcome else ''}")
    for s in statements[:shown]:
        print(f"    {s.total_exec_time:8.1f} ms {s.calls:6d} calls {s.rows:7d} rows"
              f"  {' '.join(s.query.split())[:90]}")
    if profiler:
        pstats.Stats(profiler).sort_stats(profile or "cumtime").print_stats(30)


async def run(model: ReadModelUnderTest, doctors: int, filled: int, batches: int, seed: int,
              profile: str | None, shown: int = 8) -> None:
    seeding, measured = plan(doctors, filled, batches, seed)
    await migrate(model.database_url, model.migrations)
    engine = new_engine(model.database_url, Pool(1, 0),  # one backend does all the work
                        connect_args=model.connect_args)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        for batch in seeding:
            await model.apply(sessions, batch)
        await _measure(model, sessions, measured, profile, shown)
    finally:
        await engine.dispose()
        await drop_database(model.database_url)


def main(model: Callable[[str], ReadModelUnderTest]) -> None:
    """The command line of every read model's `bench/apply_cost.py`; `model` is given the
    bench's namespace, which names the database."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doctors", type=int, default=200)
    parser.add_argument("--filled", type=int, default=250, help="tokens per slot before")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--profile", choices=["tottime", "cumtime"],
                        help="print what cost most in applying (cProfile, which slows it)")
    parser.add_argument("--statements", type=int, default=8,
                        help="how many of the costliest statements to show")
    args = parser.parse_args()
    asyncio.run(run(model(f"bench_{uuid.uuid4().hex[:8]}"), args.doctors, args.filled,
                    args.batches, args.seed, args.profile, args.statements))
