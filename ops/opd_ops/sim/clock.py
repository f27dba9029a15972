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
import datetime as dt
import functools
import heapq
import itertools
from collections.abc import Callable, Coroutine
from typing import Any, cast
from zoneinfo import ZoneInfo

__all__ = ["LEAD", "STALL_SECONDS", "SimClock", "Stalled", "hhmm", "hospital_now"]

LEAD = 5  # simulated minutes the clock may run ahead of an answer still on its way
# Wall-clock seconds in which no actor rested, with nothing due: as long as the client's
# retries of a refused request may take (60 tries, at most 5 s apart), so an actor still at
# work then is stuck. The day stops naming where each one waits, instead of hanging.
STALL_SECONDS = 300.0
Actor = asyncio.Task[None]


class Stalled(RuntimeError):
    """No actor rested for STALL_SECONDS: the message says where the ones at work wait."""


def hospital_now(zone: str = "Asia/Kolkata") -> dt.datetime:
    """The allocator decides 'today' and 'already over' by this clock, not by ours."""
    return dt.datetime.now(ZoneInfo(zone))


def hhmm(minutes: float) -> str:
    m = int(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


class SimClock:
    def __init__(self, starts: int, ends: int, real_seconds: float,
                 stall_seconds: float = STALL_SECONDS) -> None:
        self.starts, self.ends, self.now = starts, ends, float(starts)
        self.stall_seconds = stall_seconds
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
            left = 0.0 if due is None else due - loop.time()  # until due; none: overdue
            overdue = left <= 0
            timeout = self.stall_seconds if overdue else min(left, self.stall_seconds)
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                if overdue:
                    raise Stalled(self._stuck()) from None

    def _stuck(self) -> str:
        where = [f"  {task.get_name()}, at work since {hhmm(since)}: {_waits_in(task)}"
                 for task, since in self._busy.items()]
        return (f"the day stalled at {hhmm(self.now)}: no actor rested for "
                f"{self.stall_seconds:g} s; at work:\n" + "\n".join(where))

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


def _waits_in(task: Actor) -> str:
    """The actor's chain of coroutines, outermost first, each at the line it waits on."""
    steps, coroutine = [], cast(Any, task.get_coro())  # a chain of awaits, any kind
    while (frame := getattr(coroutine, "cr_frame", None)) is not None:
        steps.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        coroutine = getattr(coroutine, "cr_await", None)
    return " > ".join(steps) or "?"
