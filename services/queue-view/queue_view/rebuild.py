"""Rebuild the read model from the allocator's history: `python -m queue_view.rebuild`.

Full rebuild (default): empty every table of the read model, then ask the allocator
(`allocator_url`, POST /admin/replay/queue_view) to re-publish every event it ever
decided, oldest first, straight into this service's queue. Consumers apply them as they
apply live events (this command runs one too, so it works with no queue-view running),
and live events keep flowing meanwhile: snapshots guarded by seq make the order
irrelevant, event ids make the overlap harmless. Displays show the day catching up for
the few seconds this takes.

`--fill-gaps`: the same replay without emptying anything. Applied events are skipped by
id, missing ones are applied: the recovery for gaps (see `queue_view.progress`), and it
never shows an older state than before.

Done when at least as many distinct events are applied as were replayed and no doctor
has a gap; a line of progress is printed each second until then.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_view.models import metadata
from queue_view.progress import Totals, totals

__all__ = ["empty_read_model", "main", "rebuild", "request_replay", "wait_settled"]

Report = Callable[[str], None]


async def empty_read_model(sessions: async_sessionmaker[AsyncSession]) -> None:
    # TRUNCATE waits for in-flight projections, so no event is half in, half out.
    names = ", ".join(table.name for table in metadata.sorted_tables)
    async with sessions.begin() as session:
        await session.execute(text(f"TRUNCATE {names}"))


async def request_replay(allocator: httpx.AsyncClient) -> int:
    """Ask the allocator to re-publish its history to our queue; how many events it sent."""
    response = await allocator.post("/admin/replay/queue_view", timeout=None)
    response.raise_for_status()
    return int(response.json()["events"])


def _line(seen: Totals, expected: int) -> str:
    share = 100 * seen.applied // expected if expected else 100
    return (f"applied {seen.applied} of {expected} replayed events ({min(share, 100)}%), "
            f"{seen.doctors} doctors, {seen.doctors_with_gaps} with gaps")


async def wait_settled(sessions: async_sessionmaker[AsyncSession], expected: int,
                       report: Report, interval: float = 1.0) -> Totals:
    while True:
        async with sessions() as session:
            seen = await totals(session)
        report(_line(seen, expected))
        if seen.applied >= expected and seen.doctors_with_gaps == 0:
            return seen
        await asyncio.sleep(interval)


async def rebuild(sessions: async_sessionmaker[AsyncSession], allocator: httpx.AsyncClient,
                  report: Report, *, fill_gaps: bool = False, interval: float = 1.0) -> Totals:
    if not fill_gaps:
        await empty_read_model(sessions)
        report("read model emptied")
    expected = await request_replay(allocator)
    report(f"allocator replayed {expected} events")
    return await wait_settled(sessions, expected, report, interval)


async def _run(fill_gaps: bool, seconds: float) -> int:
    from queue_view import bootstrap  # the consumer, only when run as a command
    from queue_view.settings import QueueViewSettings

    settings = QueueViewSettings()
    key = settings.admin_key  # the allocator's admin port may ask for the admin key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    async with bootstrap.start(settings) as runtime, httpx.AsyncClient(
        base_url=settings.allocator_url, headers=headers
    ) as allocator:
        try:
            async with asyncio.timeout(seconds):
                await rebuild(runtime.sessions, allocator, print, fill_gaps=fill_gaps)
        except TimeoutError:
            print(f"not settled within {seconds:.0f} s; see GET /api/v1/admin/progress")
            return 1
        except httpx.HTTPError as error:
            print(f"allocator replay failed at {settings.allocator_url}: {error!r}")
            return 2
    print("done: the read model matches the allocator's history")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queue_view.rebuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fill-gaps", action="store_true",
                        help="replay without emptying: apply only missing events")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait (600)")
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.fill_gaps, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
