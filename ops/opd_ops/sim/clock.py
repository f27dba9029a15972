"""Simulated time: a discrete-event clock, paced to the wall clock or as fast as possible.

Actors wait only on this clock. As fast as possible, it moves to the next moment someone
waits for once every actor is waiting (all answers of this moment are back), so the day
keeps its order whatever the system's speed. Paced, a moment comes when its wall-clock time
has come, even if a few answers of the moment before are still on their way: the day then
takes the time asked for. Order still holds where it matters, because actors decide on the
ledger, which changes only when answers arrive (a doctor does not call a slot while someone
in it is still just 'allocated').
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["SimClock", "hhmm", "hospital_now"]


def hospital_now(zone: str = "Asia/Kolkata") -> dt.datetime:
    """The allocator decides 'today' and 'already over' by this clock, not by ours."""
    return dt.datetime.now(ZoneInfo(zone))


def hhmm(minutes: float) -> str:
    m = int(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


class SimClock:
    def __init__(self, starts: int, ends: int, real_seconds: float) -> None:
        self.starts, self.ends, self.now = starts, ends, float(starts)
        self._seconds_per_minute = real_seconds / (ends - starts) if real_seconds else 0.0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._busy = 0
        self._idle = asyncio.Event()
        self._errors: list[BaseException] = []
        self._actors: set[asyncio.Task[None]] = set()  # held, or the loop may collect them

    def spawn(self, actor: Coroutine[Any, Any, None]) -> None:
        self._busy += 1
        self._idle.clear()
        task = asyncio.create_task(actor)
        self._actors.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._actors.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._errors.append(task.exception())  # type: ignore[arg-type]
        self._rest()

    def _rest(self) -> None:
        self._busy -= 1
        if self._busy == 0:
            self._idle.set()

    async def sleep_until(self, minute: float) -> None:
        if minute <= self.now:
            return
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (minute, next(self._order), wake))
        self._rest()
        await wake  # run() counts us busy again before waking us

    async def sleep(self, minutes: float) -> None:
        await self.sleep_until(self.now + minutes)

    async def run(self, tick: Callable[[float], None]) -> None:
        """Drive the day until no actor is left; re-raise the first actor's failure."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        while True:
            if not self._seconds_per_minute or not self._waiting:
                await self._idle.wait()  # as fast as possible, or to see whether all is done
            if self._errors:
                raise self._errors[0]
            if not self._waiting:
                return
            moment = self._waiting[0][0]
            due = began + (moment - self.starts) * self._seconds_per_minute
            await asyncio.sleep(max(due - loop.time(), 0))
            self.now = moment
            self._idle.clear()
            # <=: a straggler may have asked for an earlier moment while we slept
            while self._waiting and self._waiting[0][0] <= moment:
                self._busy += 1
                heapq.heappop(self._waiting)[2].set_result(None)
            tick(moment)
