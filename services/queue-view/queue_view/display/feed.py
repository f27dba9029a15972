"""What wakes the display streams: one poller per process over the applied-event counts.

Why poll the database rather than listen to the broker or keep state in memory: the
display must agree with what the read model holds, whichever of several queue-view
processes a display is connected to, and resume from a `Last-Event-ID` issued by another
process. The database is the one place they share. Each process reads
`doctor_progress` (one small row per doctor) every `stream_poll_seconds` and wakes its
streams when a count moved; streams then read the boards from the database. The cost is
one query per process per tick however many displays are open; the delay a fraction of
a second. A broker queue per process would wake streams sooner but could wake them
before the change was committed (another process applies it), and LISTEN/NOTIFY needs a
dedicated connection that must be watched and re-established: more parts, same outcome.

`applied_count` counts the distinct events applied per doctor; it moves exactly when
that doctor's board may have changed, and it is updated in the same transaction as the
rows it describes, so a stream that sees the count also sees those rows.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_view.models import DoctorProgress

__all__ = ["ChangeFeed", "applied_counts"]

log = logging.getLogger(__name__)


async def applied_counts(session: AsyncSession, doctor_ids: list[int] | None = None
                         ) -> dict[int, int]:
    query = select(DoctorProgress.doctor_id, DoctorProgress.applied_count)
    if doctor_ids is not None:
        query = query.where(DoctorProgress.doctor_id.in_(doctor_ids))
    return {doctor_id: applied for doctor_id, applied in (await session.execute(query)).all()}


class ChangeFeed:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._sessions = sessions
        self._interval = interval
        self._changed = asyncio.Event()
        self._failing = False
        self.counts: dict[int, int] = {}

    @property
    def changed(self) -> asyncio.Event:
        """Set once `counts` moves after this property was read: read it before comparing,
        then wait on it, and no change can slip between the two."""
        return self._changed

    async def poll_once(self) -> None:
        async with self._sessions() as session:
            # One statement needs no transaction around it: without BEGIN and ROLLBACK a
            # tick is one round trip, not three, every tick of every process, idle or not.
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            counts = await applied_counts(session)
        if counts != self.counts:
            self.counts = counts
            fired, self._changed = self._changed, asyncio.Event()
            fired.set()

    async def run(self) -> None:
        """Poll until cancelled; a database outage is logged once and waited out."""
        while True:
            try:
                await self.poll_once()
                if self._failing:
                    log.info("display feed reads the database again")
                self._failing = False
            except Exception:
                if not self._failing:
                    log.warning("display feed cannot read the database", exc_info=True)
                self._failing = True
            await asyncio.sleep(self._interval)
