"""The garbage collector of a long-running service process, set once at its start.

CPython's defaults (a young collection every 700 net new container objects) suit short
scripts. A service holds the objects of its requests and batches in flight: each young
collection found them alive, promoted them, and they made the full collections come every
few seconds, each one walking every object the process has. Measured at 1,000 bookings/s
offered, over 15 s of load (CPU of the collections, by `gc.callbacks` and
`time.thread_time`): the gateway spent 21% of its CPU collecting, with a full collection
of ~126 ms of CPU, an event-loop pause, about every 4 s; the allocator 6.5%. With the
start-up heap frozen and a young collection every 50,000 net new objects: no collection at
all in that window, in any service. The objects in flight are freed by their reference
counts long before 50,000 accumulate; only reference cycles wait for a collection, which
then still comes, every minute or so.
"""

from __future__ import annotations

import gc
import logging
import resource
from typing import Any

__all__ = ["freeze_survivors", "settle_heap"]

log = logging.getLogger(__name__)


def settle_heap(young_threshold: int) -> None:
    """Freeze what import and start-up built (it lives as long as the process, so no
    collection need walk it again) and collect the young generation only every
    `young_threshold` net new objects; the older generations' thresholds stay."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)


def freeze_survivors(allowance_bytes: int) -> None:
    """From now on, freeze whatever is alive at the end of each collection, so that no later
    collection walks it again; until the process's resident memory has grown by
    `allowance_bytes`.

    Why: a process that keeps many objects for long (the allocator's schedule cache holds
    every token of the day, ~9 tracked objects each: the token and its `__dict__`, the ORM's
    state with its `__dict__`, `parents` and expired set, identity key, weak reference and
    its callback) had every collection of an older generation walk all of them: the first
    one of generation 1 comes after 11 young ones, and finds every token cached since the
    start. 60,000 cached tokens are 550,000 tracked objects and a `gc.collect(2)` of 272-287
    ms; with survivors frozen, 23,700 tracked objects and 3-5 ms (the allocator's
    bench/gc_pause.py, 3 alternated runs each, load 2.5-3.9). In the system bench at 1,000
    bookings/s that walk was a ~300 ms spell ~51 s into every run, every request late.
    Frozen, an object costs no collection anything, and a frozen object whose last
    reference goes is freed by its reference count as ever: an evicted schedule and its
    tokens are (no cycle among them: test_allocator_gc_walk; three fills of 40,000 tokens,
    each evicting the last: 190, 192, 193 MB resident either way). `gc.freeze` only joins
    two lists, and a round costs what it did (round_cost.py, decide_bench's concurrent
    part: within the noise). Why at the end of a collection, not after each round: a freeze
    also restarts the generations' counts, so with one every round no collection would
    ever run again, and every reference cycle would be kept.

    What it gives up: a reference cycle among objects alive at the end of a collection and
    dead later is never found (one that dies young still is: the young collections run as
    before; the allocator's rounds make none: test_allocator_gc_walk). Hence the bound, on
    the resident set (read from /proc, 9 us a collection; counting the frozen objects,
    `gc.get_freeze_count`, walks them all: ~120 ms for 660,000): once it has grown by
    `allowance_bytes`, more than the objects meant to be kept explain, everything is
    unfrozen and the collector is back to CPython's generations, pauses and all."""
    gc.callbacks.append(_SurvivorFreezer(_resident_bytes() + allowance_bytes))


def _resident_bytes() -> int:
    """Linux's count (where the services run); elsewhere the peak (in KiB on Linux and the
    BSDs, bytes on macOS, where the bound is then met early: the collector as CPython's)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _SurvivorFreezer:
    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop":
            return
        if _resident_bytes() <= self.limit_bytes:
            gc.freeze()
            return
        gc.callbacks.remove(self)
        gc.unfreeze()
        log.warning("memory past %d bytes: the collector walks every object again",
                    self.limit_bytes)
