"""What a round's transaction costs this process apart from its statements: BEGIN and
COMMIT as a round sends them (the session's transaction begun, the adapter's BEGIN, the
session's commit), against the same two round trips straight through asyncpg, and a bare
`SELECT 1` (a round trip's floor).

`uv run python services/allocator/bench/frame_cost.py [--rounds 500 --pairs 7]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL), prints this
process's CPU a round (medians of `--pairs` alternated runs of `--rounds` each), and drops
the database. Nothing is written: what is left is the frame's own cost, paid once a round
whatever the round decides.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from scratch import scratch_database
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.workspace import Workspace


async def measure(rounds: int, pairs: int) -> None:
    async with scratch_database({"pool_size": 2}) as (_settings, engine):
        workspace = Workspace(async_sessionmaker(engine, expire_on_commit=False), 10)
        try:
            session, driver = await workspace.open()
            raw = driver.connection

            async def as_a_round_does() -> None:
                await session.connection()
                await driver.begin()
                await session.commit()

            async def through_asyncpg() -> None:
                await raw.execute("BEGIN")
                await raw.execute("COMMIT")

            async def select_1() -> None:
                await raw.fetch("SELECT 1")

            kinds: dict[str, Callable[[], Awaitable[None]]] = {
                "BEGIN and COMMIT as a round sends them": as_a_round_does,
                "BEGIN and COMMIT through asyncpg": through_asyncpg,
                "SELECT 1 through asyncpg": select_1}
            figures: dict[str, list[float]] = {name: [] for name in kinds}
            for _ in range(pairs + 1):  # the first pass warms up, and is not counted
                for name, call in kinds.items():
                    started = time.process_time()
                    for _ in range(rounds):
                        await call()
                    figures[name].append((time.process_time() - started) / rounds * 1e6)
            for name, runs in figures.items():
                print(f"{name}: {statistics.median(runs[1:]):.0f} us of CPU a round "
                      f"(runs {', '.join(f'{r:.0f}' for r in runs[1:])})")
        finally:
            await workspace.forget()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(measure(args.rounds, args.pairs))


if __name__ == "__main__":
    main()
