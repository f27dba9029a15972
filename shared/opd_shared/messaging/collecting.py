"""Why a process that consumes batches asks CPython's garbage collector to look at its
young objects less often: 50,000 new containers between looks instead of 700.

A batch consumer decodes every message of a batch before handling it, and the items stay
alive until the batch is settled: an event is about 13 containers (its envelope, snapshots
and lists; a pydantic model is three), so 35 events a message and a few messages a batch
are thousands. With the default threshold the collector looks at the young objects every
700 new containers, so a batch is looked at, and survives, again and again while it is
decoded and applied; what survives two looks is promoted to the oldest generation, and
every 25% of growth there costs a full collection that walks the whole heap. All for
nothing: decoded items hold no reference cycles, and die with their batch. With 50,000,
most of a batch dies before the collector ever looks at it.

Measured with `uv run --no-sync python -m opd_ops.bench.batch_items --what consume` (the
consumer's process CPU from subscribing to the real broker to its last ack, a handler that
only acks; four alternated rounds of three runs against the code before, medians, on this
2-core machine at a load of 5-6): events in messages of 35, batches of 200 messages,
33.9 -> 18.2 µs an event; batches of 2 messages (about what a read model gathers at 1,000
bookings/s), 32.3 -> 23.1. Commands (6 a message) hardly make containers enough to matter:
no change beyond the noise. A look at 50,000 young objects takes about a millisecond, once
in a while, against many tiny ones; the cyclic garbage that waits for it (tracebacks,
mostly) is a few megabytes at most.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_BETWEEN_LOOKS", "collect_less_often"]

YOUNG_BETWEEN_LOOKS = 50_000


def collect_less_often() -> None:
    """Raise the collector's first threshold to `YOUNG_BETWEEN_LOOKS` (never lower it: a
    process may have chosen more); the older generations' thresholds are kept."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_BETWEEN_LOOKS:
        gc.set_threshold(YOUNG_BETWEEN_LOOKS, middle, old)
