"""Simulated time: a discrete-event clock, paced to the wall clock or as fast as possible.

Actors wait only on this clock. It moves to the next moment someone waits for when that
moment's wall-clock time has come (at once, unpaced) and either every actor is waiting or
the slowest answer still on its way was asked for at most LEAD simulated minutes ago. So a
system slower than the pace makes the day longer instead of leaving patients behind, while
answers of a few minutes ago need not hold everyone up. Order holds where it matters:
each actor's own steps are sequential, and actors decide on the ledger, which changes only
when answers arrive (a doctor does not call a slot while someone in it is just 'allocated').
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import heapq
import itertools
from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["LEAD", "SimClock", "hhmm", "hospital_now"]

LEAD = 5  # simulated minutes the clock may run ahead of an answer still on its way
Actor = asyncio.Task[None]


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
        self._waiting: list[tuple[float, int, asyncio.Future[None], Actor]] = []
        self._order = itertools.count()
        self._busy: dict[Actor, float] = {}  # actors at work -> the moment they woke
        self._changed = asyncio.Event()
        self._errors: list[BaseException] = []

    def spawn(self, actor: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(actor)
        self._busy[task] = self.now  # also holds the task, or the loop may collect it
        task.add_done_callback(self._finished)

    def _finished(self, task: Actor) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._errors.append(task.exception())  # type: ignore[arg-type]
        self._rest(task)

    def _rest(self, task: Actor) -> None:
        self._busy.pop(task, None)
        self._changed.set()

    async def sleep_until(self, minute: float) -> None:
        if minute <= self.now:
            return
        task = asyncio.current_task()
        assert task is not None
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (minute, next(self._order), wake, task))
        self._rest(task)
        await wake  # run() counts us at work again before waking us

    async def sleep(self, minutes: float) -> None:
        await self.sleep_until(self.now + minutes)

    def _may_move(self, moment: float) -> bool:
        return not self._busy or min(self._busy.values()) >= moment - LEAD

    async def _until(self, ready: Callable[[], bool], due: float | None = None) -> None:
        """Wait until `ready()` (re-asked whenever an actor rests) and the wall clock is due."""
        loop = asyncio.get_running_loop()
        while not self._errors and not (ready() and (due is None or loop.time() >= due)):
            self._changed.clear()
            timeout = None if due is None or loop.time() >= due else due - loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    async def run(self, tick: Callable[[float], None]) -> None:
        """Drive the day until no actor is left; re-raise the first actor's failure."""
        began = asyncio.get_running_loop().time()
        while True:
            if not self._waiting:
                await self._until(lambda: not self._busy or bool(self._waiting))
            if self._errors:
                raise self._errors[0]
            if not self._waiting:
                return
            moment = self._waiting[0][0]
            due = began + (moment - self.starts) * self._seconds_per_minute
            await self._until(functools.partial(self._may_move, moment), due)
            if self._errors:
                raise self._errors[0]
            if self._waiting[0][0] < moment:
                continue  # a straggler asked for an earlier moment meanwhile: that one first
            self._wake(moment)
            tick(moment)
            await asyncio.sleep(0)  # let the woken start their step at this moment, not later

    def _wake(self, moment: float) -> None:
        """Everyone waiting for `moment` goes to work."""
        self.now = moment
        while self._waiting and self._waiting[0][0] <= moment:
            _, _, wake, task = heapq.heappop(self._waiting)
            self._busy[task] = self.now
            wake.set_result(None)
