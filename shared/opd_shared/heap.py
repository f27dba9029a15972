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

__all__ = ["settle_heap"]


def settle_heap(young_threshold: int) -> None:
    """Freeze what import and start-up built (it lives as long as the process, so no
    collection need walk it again) and collect the young generation only every
    `young_threshold` net new objects; the older generations' thresholds stay."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
