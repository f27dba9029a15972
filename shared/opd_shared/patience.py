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

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from opd_shared.database import is_unreachable

__all__ = ["FIRST_PAUSE", "apply_patiently", "is_transient"]

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_PAUSE = 0.2
# Beyond an unreachable server, what PostgreSQL says to simply try again: a serialization
# failure, a deadlock (two replicas' batches locking rows in opposite orders), too many
# connections.
RETRY_SQLSTATES = frozenset({"40001", "40P01", "53300"})


def is_transient(error: BaseException) -> bool:
    """True when the database was away or asked to be retried, as opposed to refusing
    this event (a value out of range, a broken constraint, a bug)."""
    if is_unreachable(error) or isinstance(error, PoolTimeout):  # pool: every connection busy
        return True
    orig = error.orig if isinstance(error, DBAPIError) else error
    return getattr(orig, "sqlstate", None) in RETRY_SQLSTATES


async def apply_patiently(apply: Callable[[], Awaitable[T]], what: str, max_pause: float) -> T:
    """`apply()` until it succeeds or fails for a reason of its own (raised); `what` names
    the work in the log lines."""
    pause = FIRST_PAUSE
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
