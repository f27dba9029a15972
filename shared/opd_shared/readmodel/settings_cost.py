"""What a read model's applying connection's settings cost PostgreSQL: `apply_cost`'s workload
applied under two settings at once, batch by batch in turns, in one process.

Why: on this shared machine the CPU a run measures swings by a fifth between runs minutes
apart (issue #13, tenth session: analytics' backend 103-152 us an event over ten
alternated `apply_cost.py` runs of the same two versions), more than the difference
between two settings. Here both sides see the same moments: two databases, migrated and
seeded alike, each on one pooled connection with its settings; each measured batch is
applied to both, the order alternating, and each backend's CPU is read around each apply
(/proc/<pid>/schedstat, nanoseconds), this thread's CPU too. Afterwards the two databases'
tables are compared row by row (but columns a clock fills, `now()` defaults): the settings
may change the cost, never the rows.

`--a`, `--b`: "service" (the service engine's own settings, `opd_shared.database`),
"planned-once" (`opd_shared.database.PLANNED_ONCE`), "by-index"
(`opd_shared.readmodel.planning.PLANNED_ONCE_BY_INDEX`). `--same`: both sides "service",
to see what the measurement itself tells apart. `--a-sql`: statements run on side A's
database after migrating, before seeding (`;`-separated), to measure a schema change the
same way: side A as the schema was (an index put back, say), side B as migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from opd_contracts import EventEnvelope
from opd_shared.database import PLANNED_ONCE, Pool, drop_database, migrate, new_engine
from opd_shared.readmodel.apply_cost import ReadModelUnderTest, Sessions, plan
from opd_shared.readmodel.planning import PLANNED_ONCE_BY_INDEX

__all__ = ["main"]

SETTINGS: dict[str, Mapping[str, str] | None] = {
    "service": None, "planned-once": PLANNED_ONCE, "by-index": PLANNED_ONCE_BY_INDEX}
# Each table's columns but those a clock fills, to compare the two sides' rows.
_COLUMNS = text(
    "SELECT table_name, string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)"
    " FROM information_schema.columns WHERE table_schema = 'public'"
    " AND coalesce(column_default, '') NOT LIKE '%now()%' GROUP BY 1 ORDER BY 1")


@dataclasses.dataclass
class _Side:
    name: str
    model: ReadModelUnderTest
    engine: AsyncEngine
    sessions: Sessions
    backend: int
    backend_ns: int = 0
    process_ns: int = 0


def _cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


async def _open(name: str, model: ReadModelUnderTest, seeding: list[list[EventEnvelope]],
                after_migrating: str = "") -> _Side:
    await migrate(model.database_url, model.migrations)
    engine = new_engine(model.database_url, Pool(1, 0), connect_args=model.connect_args)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as session:
            for statement in filter(str.strip, after_migrating.split(";")):
                await session.execute(text(statement))
            await session.commit()
        for batch in seeding:
            await model.apply(sessions, batch)
        async with sessions() as session:
            backend = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
    except BaseException:  # not a side yet: `run` would leave its database behind
        await engine.dispose()
        await drop_database(model.database_url)
        raise
    return _Side(name, model, engine, sessions, backend)


async def _differing(a: _Side, b: _Side) -> list[str]:
    """The tables whose rows differ between the two sides."""
    differing = []
    async with a.sessions() as one, b.sessions() as other:
        for table, columns in (await one.execute(_COLUMNS)).all():
            rows = text(f"SELECT count(*), md5(coalesce(string_agg(r::text, '|'"
                        f" ORDER BY r::text), '')) FROM (SELECT {columns} FROM {table}) AS r")
            if tuple((await one.execute(rows)).one()) != tuple((await other.execute(rows)).one()):
                differing.append(table)
    return differing


async def run(model_of: Callable[[str], ReadModelUnderTest], a: str, b: str, batches: int,
              seed: int, a_sql: str = "") -> None:
    seeding, measured = plan(200, 250, batches, seed)
    tag = uuid.uuid4().hex[:8]
    sides = []
    try:
        for suffix, name in (("a", a), ("b", b)):
            model = dataclasses.replace(model_of(f"bench_{tag}{suffix}"),
                                        server_settings=SETTINGS[name])
            sides.append(await _open(f"{suffix.upper()} {name}", model, seeding,
                                     a_sql if suffix == "a" else ""))
        for n, batch in enumerate(measured):
            for side in sides if n % 2 == 0 else sides[::-1]:
                backend, process = _cpu_ns(side.backend), time.thread_time_ns()
                await side.model.apply(side.sessions, batch)
                side.backend_ns += _cpu_ns(side.backend) - backend
                side.process_ns += time.thread_time_ns() - process
        differing = await _differing(*sides)
    finally:
        for side in sides:
            await side.engine.dispose()
            await drop_database(side.model.database_url)
    events = sum(len(batch) for batch in measured)
    print(f"{sides[0].model.name}: {events} events in {len(measured)} batches of 20-50,"
          f" each on both sides in turns")
    for side in sides:
        print(f"  {side.name:>14}: PostgreSQL's backend {side.backend_ns / events / 1e3:.1f} µs"
              f" CPU an event, this process {side.process_ns / events / 1e3:.1f} µs")
    print(f"  rows: {'the same' if not differing else 'differ in ' + ', '.join(differing)}")


def main(model_of: Callable[[str], ReadModelUnderTest]) -> None:
    """The command line of a read model's `bench/settings_cost.py`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", choices=SETTINGS, default="service")
    parser.add_argument("--b", choices=SETTINGS, default="by-index")
    parser.add_argument("--same", action="store_true", help="both sides 'service'")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--a-sql", default="", help="run on side A's database after migrating")
    args = parser.parse_args()
    b = "service" if args.same else args.b
    asyncio.run(run(model_of, args.a, b, args.batches, args.seed, args.a_sql))
