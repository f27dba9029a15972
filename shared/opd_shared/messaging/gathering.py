"""How a batch is gathered: the first delivery, then whatever else is already waiting or
arrives within `window_s` of that first one, up to `batch_max`.

The window is the only wait, and only while the batch can still grow: a full batch, a
`batch_max` of 1, or a window of 0 hands the batch over at once. At low load a lone
delivery waits one window, as the allocator's did before the consumers were one (it slept
its window, then took what was waiting): measured through the gateway at idle, a booking
waited 2.2 ms in the consumer before and after, of a 13-30 ms round trip. The read models'
100 ms is nothing to a waiting-hall screen (whose display polls every 250 ms), and a
transaction costs about the same for fifty events as for one: ~900 µs of queue-view's CPU
(`services/queue-view/bench/window_cost.py`, 450 events/s in messages of 21 as the relay
sent them at 1,000 bookings/s: a 20 ms window made a transaction of each message, 150 µs of
CPU an event; 100 ms, of about three, 83 µs). Under load what was prefetched while the last batch
committed is already waiting: it is taken at once, and the window only tops it up.

One timer covers the window (`asyncio.timeout`), not a `wait_for` for each delivery that
joins during it, which wrapped each wait in a task of its own and a timer: deliveries
trickled in 1 ms apart into 30 ms windows cost ~130 µs of CPU each with `wait_for`, ~100
with the one timer (a scratch loop over `next_batch`, alternated, three runs each). A wait
cut short leaves its delivery in the queue, for the next batch, as before.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from opd_shared.settings import BatchConsumerSettings

__all__ = ["Batching", "next_batch"]

T = TypeVar("T")


@dataclass(frozen=True)
class Batching:
    """A batch consumer's knobs (`opd_shared.settings.BatchConsumerSettings`)."""

    batch_max: int  # deliveries in one batch; twice as many are prefetched
    window_s: float  # how long after a batch's first delivery others may join it
    max_pause: float  # longest pause between tries while the database is unavailable
    in_flight: int = 1  # batches handled at once (a batch is gathered only when one may go)

    @classmethod
    def of(cls, settings: BatchConsumerSettings) -> Batching:
        return cls(settings.batch_max, settings.batch_window_seconds,
                   settings.db_retry_max_seconds)


async def next_batch(deliveries: asyncio.Queue[T | None], batch_max: int,
                     window_s: float) -> list[T | None]:
    """The next batch; it ends early at a None (stop after this batch), which it includes."""
    batch = [await deliveries.get()]
    try:
        async with asyncio.timeout(window_s):  # one timer for the batch, not one a delivery
            while len(batch) < batch_max and batch[-1] is not None:
                batch.append(await deliveries.get())  # what is waiting: without a pause
    except TimeoutError:
        pass
    return batch
