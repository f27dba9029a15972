"""What a round's statements cost apart from their rows: this process's CPU a call.

`uv run python services/allocator/bench/statement_costs.py [--calls 300 --pairs 8]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL), prints the figures,
and drops it.
- CPU a call (medians of `--pairs` alternated runs of `--calls` calls, in one transaction):
  a bare `SELECT 1` through asyncpg (the floor: a round trip's sends and wake-ups), and
  start_round() straight through asyncpg, through the session's asyncpg connection as
  adapters/batch_io calls it (`DriverConnection`: its transaction check and error mapping),
  as `text()` through the session, and as the driver's SQL through the session
  (`exec_driver_sql`: no compilation, the same async execution path).
  (What planning the write statement of CTEs cost, by its parts, this printed until that
  statement became write_round, planned once per connection: migration 0015.)
- `--socket` (PostgreSQL on this machine): a bare round trip over TCP and over PostgreSQL's
  Unix socket, this process's CPU and its backend's a call (from /proc), alternated: what
  a round trip's sends cost each side (the allocator connects over TCP, OPD_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from scratch import scratch_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters import batch_io
from allocator.adapters.driver_calls import DriverConnection

NAMED_START = text("SELECT * FROM start_round(CAST(:partitions AS bigint[]),"
                   " CAST(:commands AS uuid[]), CAST(:doctors AS bigint[]),"
                   " CAST(:ids AS integer))")
POSITIONAL_START = ("SELECT * FROM start_round(CAST($1 AS bigint[]), CAST($2 AS uuid[]),"
                    " CAST($3 AS bigint[]), CAST($4 AS integer))")


async def cpu_a_call(session: AsyncSession, calls: int, pairs: int) -> str:
    commands = [uuid.uuid4() for _ in range(4)]
    raw = (await (await session.connection()).get_raw_connection()).driver_connection

    async def select_one() -> None:
        await raw.fetch("SELECT 1")

    async def start_round_raw() -> None:
        await raw.fetch(POSITIONAL_START, [1], commands, [1, 2], 0)

    sessions_driver = await DriverConnection.under(await session.connection())
    await sessions_driver.begin()  # every kind's calls in one transaction, as said above

    async def driver_call() -> None:
        await sessions_driver.fetch(batch_io._START, {"partitions": [1], "commands": commands,
                                             "doctors": [1, 2], "ids": 0})

    async def named() -> None:
        list(await session.execute(NAMED_START, {"partitions": [1], "commands": commands,
                                                 "doctors": [1, 2], "ids": 0}))

    async def driver() -> None:
        connection = await session.connection()
        list(await connection.exec_driver_sql(POSITIONAL_START, ([1], commands, [1, 2], 0)))

    kinds: dict[str, Callable[[], Awaitable[None]]] = {
        "SELECT 1 (asyncpg)": select_one, "start_round (asyncpg)": start_round_raw,
        "start_round (DriverConnection)": driver_call, "start_round as text()": named,
        "start_round as the driver's SQL": driver}
    spent: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(pairs):
        for name, call in kinds.items():
            await call()  # prepared before it is timed
            cpu = time.process_time()
            for _ in range(calls):
                await call()
            spent[name].append((time.process_time() - cpu) * 1e6 / calls)
    await session.commit()
    return "\n".join(f"{name}: {statistics.median(us):.0f} us CPU a call"
                     f" ({min(us):.0f}-{max(us):.0f})" for name, us in spent.items())


def backend_cpu_us(pid: int) -> float:
    """A local process's CPU so far (user and system), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") * 1e6


async def tcp_or_socket(session: AsyncSession, calls: int, pairs: int) -> str:
    """A bare round trip over the engine's TCP connection and over the Unix socket."""
    tcp = (await (await session.connection()).get_raw_connection()).driver_connection
    directory = (await tcp.fetchval("SHOW unix_socket_directories")).split(",")[0].strip()
    url = session.bind.url
    unix = await asyncpg.connect(host=directory, user=url.username, password=url.password,
                                 database=url.database)
    try:
        ways = {"TCP": tcp, "Unix socket": unix}
        pids = {way: await c.fetchval("SELECT pg_backend_pid()") for way, c in ways.items()}
        spent: dict[str, tuple[list[float], list[float]]] = {w: ([], []) for w in ways}
        for _ in range(pairs):
            for way, connection in ways.items():
                backend, start = backend_cpu_us(pids[way]), time.process_time()
                for _ in range(calls):
                    await connection.fetch("SELECT $1::int", 1)
                spent[way][0].append((time.process_time() - start) / calls * 1e6)
                spent[way][1].append((backend_cpu_us(pids[way]) - backend) / calls)
    finally:
        await unix.close()
    return "\n".join(f"SELECT $1 over {way}: this process {statistics.median(mine):.0f} us"
                     f" CPU a call, its backend {statistics.median(its):.0f}"
                     for way, (mine, its) in spent.items())


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as (_, engine):
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO partition_owners VALUES (1, 1, 'bench', now())"))
        async with async_sessionmaker(engine)() as session:
            print(await cpu_a_call(session, args.calls, args.pairs), flush=True)
            if args.socket:
                print(await tcp_or_socket(session, args.calls * 10, args.pairs), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--socket", action="store_true")
    asyncio.run(main(parser.parse_args()))
