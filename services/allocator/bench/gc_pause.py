"""What a full garbage collection of the allocator costs once its schedule cache is full.

Why: in the whole-system bench at 1,000 bookings/s the allocator's one full (generation 2)
collection, ~51 s into every run, held every request back for ~300 ms. A full collection
walks every object the collector tracks and has not frozen, and the cache holds every token
of the day.

`uv run --no-sync python services/allocator/bench/gc_pause.py [--bookings 60000
--doctors 200 --small 28 --collections 5 --types 12 --unfrozen]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL) with `--doctors`
doctors of one slot each, sets the collector as the service does at its start
(decide_bench.settle_as_service; `--unfrozen`: as before, only the start-up heap
frozen), then decides `--bookings` bookings the way the service does, every partition at
once in rounds of `--small` (decide_bench's concurrent part), so the lane's cache ends up
holding them all. Prints the objects the collector tracks (and so walks in a full
collection) before and after, per cached token, the objects frozen, the kinds that grew
most (`--types`), and the wall time of the first `gc.collect(2)` after the bookings (what
the service's next full collection costs) and of `--collections` more (median), then drops
the database. Nothing is collected before the first `gc.collect(2)` but what the
collector's thresholds collect by themselves, as in the service.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections import Counter

from decide_bench import concurrent, one_lane_bench, settle_as_service


def tracked_kinds() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def collections_ms(times: int) -> list[float]:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        gc.collect(2)
        took.append((time.perf_counter() - start) * 1000)
    return took


async def main(args: argparse.Namespace) -> None:
    async with one_lane_bench() as (bench, _):
        before, frozen = tracked_kinds(), gc.get_freeze_count()
        print((await concurrent(bench, args.bookings, args.small, args.doctors)).splitlines()[0])
        cache = bench.deciders[0].group.transactions.workspace.cache
        after = tracked_kinds()
        grown, tokens = after - before, cache.tokens
        first, *again = collections_ms(1 + args.collections)
        print(f"cache: {len(cache)} schedules, {tokens} tokens; tracked objects"
              f" {before.total():,} before, {after.total():,} after:"
              f" {(after.total() - before.total()) / tokens:.2f} a cached token;"
              f" frozen {frozen:,} before, {gc.get_freeze_count():,} after")
        print(f"gc.collect(2): first {first:.1f} ms, again median {statistics.median(again):.1f}"
              f" ms ({', '.join(f'{t:.1f}' for t in again)})")
        print("grown most: " + ", ".join(
            f"{kind} {count / tokens:.2f}" for kind, count in grown.most_common(args.types)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=60_000)
    parser.add_argument("--doctors", type=int, default=200)
    parser.add_argument("--small", type=int, default=28)
    parser.add_argument("--collections", type=int, default=5)
    parser.add_argument("--types", type=int, default=12)
    parser.add_argument("--unfrozen", action="store_true")
    arguments = parser.parse_args()
    settle_as_service(arguments.unfrozen)
    asyncio.run(main(arguments))
