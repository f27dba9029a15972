"""Riding out a database outage: which failures mean "not now", and waiting them out.

The one transient-retry helper: the batch consumer (`opd_shared.messaging`) waits out a
batch's handler with it, and the allocator's group commit a round of several partitions'
batches. Work that failed because the database could not be reached, deadlocked or asked
for a retry is not bad work: it waits here, unacknowledged, and is tried again after a
growing pause, however long the outage lasts. Nacking or retrying it instead would spend
one of its attempts on every try and send perfectly good messages to the dead letters after
a few seconds of downtime. Any other failure is the work's own: raised to the caller, which
answers it with a `Retry` (`opd_shared.retries` counts those).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["FIRST_PAUSE", "Transient", "apply_patiently"]

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_PAUSE = 0.2
Transient = Callable[[BaseException], bool]  # "not now" rather than "not this"; e.g.
# opd_shared.database.is_transient, or a port's, so the loop itself needs no database
async def apply_patiently(apply: Callable[[], Awaitable[T]], what: str, max_pause: float,
                          is_transient: Transient, first_pause: float = FIRST_PAUSE) -> T:
    """`apply()` until it succeeds or fails for a reason of its own (raised); `what` names
    the work in the log lines."""
    pause = first_pause
    while True:
        try:
            return await apply()
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("database unavailable or asking for a retry (%s: %s); %s waits "
                        "%.1f s, unacknowledged",
                        type(error).__name__, error, what, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, max_pause)
