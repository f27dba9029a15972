"""What a full garbage collection of the allocator costs once its schedule cache is full.

Why: in the whole-system bench at 1,000 bookings/s the allocator's one full (generation 2)
collection, ~51 s into every run, held every request back for ~300 ms. A full collection
walks every object the collector tracks and has not frozen, and the cache holds every token
of the day.

`uv run --no-sync python services/allocator/bench/gc_pause.py [--bookings 60000
--doctors 200 --small 28 --collections 5 --types 12 --unfrozen --fills 1]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL) with `--doctors`
doctors of one slot each, sets the collector as the service does at its start
(decide_bench.settle_as_service; `--unfrozen`: as before, only the start-up heap
frozen), then decides `--bookings` bookings the way the service does, every partition at
once in rounds of `--small` (decide_bench's concurrent part), so the lane's cache ends up
holding them all. Prints the objects the collector tracks (and so walks in a full
collection) before and after, per cached token, the objects frozen, the collections the
thresholds started meanwhile (how many and the longest, by generation), the kinds that grew
most (`--types`), and the wall time of the first `gc.collect(2)` after the bookings (what
the service's next full collection costs) and of `--collections` more (median), then drops
the database. `--fills 3`: the bookings three times over, each time over doctors of their
own, the cache keeping `--doctors` schedules (the earlier ones evicted): the memory resident
after each shows whether what was evicted was freed. Nothing is collected before the first
`gc.collect(2)` but what the collector's thresholds collect by themselves, as in the service.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections import Counter

import psutil
from decide_bench import concurrent, one_lane_bench, settle_as_service


def tracked_kinds() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


class CollectionLog:
    """The wall time of each collection the thresholds start, by generation."""

    def __init__(self) -> None:
        self.took: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.took[info["generation"]].append((time.perf_counter() - self.started) * 1000)

    def __str__(self) -> str:
        return "; ".join(f"generation {g}: {len(t)}, longest {max(t, default=0):.1f} ms"
                         for g, t in self.took.items())


def collections_ms(times: int) -> list[float]:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        gc.collect(2)
        took.append((time.perf_counter() - start) * 1000)
    return took


async def main(args: argparse.Namespace) -> None:
    async with one_lane_bench() as (bench, _):
        cache = bench.deciders[0].group.transactions.workspace.cache
        cache.capacity = args.doctors  # a later fill's doctors evict an earlier one's
        before, frozen, log = tracked_kinds(), gc.get_freeze_count(), CollectionLog()
        gc.callbacks.insert(0, log)  # its "stop" before the freezing
        for _ in range(args.fills):
            done = await concurrent(bench, args.bookings, args.small, args.doctors)
            print(f"{done.splitlines()[0]}; resident {psutil.Process().memory_info().rss >> 20}"
                  " MB")
        gc.callbacks.remove(log)
        print(f"collections while booking: {log}")
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
    parser.add_argument("--fills", type=int, default=1)
    arguments = parser.parse_args()
    settle_as_service(arguments.unfrozen)
    asyncio.run(main(arguments))
