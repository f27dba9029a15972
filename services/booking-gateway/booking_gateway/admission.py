"""Bounded admission: overload is shed at the door, not queued where it cannot be served.

Without it a gateway takes every request, publishes it and waits; past the allocator's
capacity the partition queues grow, every answer comes later, and at 1,000 bookings/s
offered to a 300/s system the answered requests waited 1-2 s (BENCHMARKS.md). With it a
request that would wait longer than the budget is refused at once: 503, `Retry-After`,
nothing published, nothing to undo.

The rule is additive increase, multiplicative decrease (TCP's congestion window, and the
AIMD limit of Netflix's concurrency-limits) on how many requests may wait for a decision at
once, steered by how long decisions take. Over each window of `WINDOW_SECONDS`:
- if more than one decision in a hundred took longer than the wait budget (a request that
  got no decision at all counts as late), the limit shrinks by a quarter: the system is
  slower than the budget, and fewer requests in flight means shorter queues inside it;
- else, if the limit was reached (a request was refused or waited at the limit), it grows
  by a tenth: decisions came in time at that concurrency, so more may come in;
- else, below `START`, it grows by a tenth towards `START`: decisions come in time with
  room to spare, and what a spell took off must not outlast the spell, or the next spell
  finds the door narrower than a steady load needs.
The limit starts at `START`, so a burst of a hundred bookings at a quiet gateway is
decided, not refused, and stays between `FLOOR` and `max_in_flight`. One comparison per
request, and no timer: windows close on the decisions themselves.

Why one in a hundred: the budget is a p99, as the promise to the client is. With one in
ten (the rule before), the limit settled where the tenth slowest decision took the budget,
and the hundredth took 1.3-1.5 times it: at 2,000 bookings/s offered, 250 ms budgeted,
the decided p99 was 418-496 ms (BENCHMARKS.md, fourteenth session).

A stall is not overload. While a broker node fails over or the allocator restarts,
decisions stop for seconds, then come late all at once; shrinking then would refuse the
few requests that waited, and the ones after them, while the system is idle (the cluster
fault tests saw such 503s with a quorum of nodes up). So a window that stayed open longer
than `STALL_SECONDS`, because no decision came to close it, changes nothing; and the floor
is above what a hospital's steady load keeps in flight through a stall of several seconds.

Why not Little's law on a measured decision rate (the first rule here): with batching, the
rate a gateway sees is what its own bound lets through, so the bound fed on itself; at
300/s offered it refused more than half of what the system could decide (BENCHMARKS.md).
Latency is what the client feels, and what the budget is about.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from opd_shared.metrics import SHED, SHED_LIMIT

__all__ = ["FLOOR", "START", "Admission", "Overloaded"]

START = 256  # the limit before anything was measured
FLOOR = 64  # the limit never falls below this: a slow spell must not close the door
WINDOW_SECONDS = 0.25  # how often the limit is reconsidered, while decisions come
STALL_SECONDS = 1.0  # a window open this long saw decisions stop: a stall, not overload
LATE_SHARE = 0.01  # more late decisions than this in a window: shrink
SHRINK, GROW = 0.75, 0.1


class Overloaded(Exception):
    """Refused at the door; `retry_after` is whole seconds for the Retry-After header."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the gateway is at capacity; try again in {retry_after} s")
        self.retry_after = retry_after


class Admission:
    def __init__(self, max_in_flight: int, wait_budget_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_in_flight, self.wait_budget_s, self.clock = max_in_flight, wait_budget_s, clock
        self.limit = float(min(START, max_in_flight))
        SHED_LIMIT.set(self.limit)
        self.in_flight = 0
        self._window_start = clock()
        self._decided = self._late = 0
        self._reached = False

    def refuses(self) -> bool:
        """Whether a request arriving now is refused (which counts as the limit reached)."""
        if self.in_flight < int(self.limit):
            return False
        self._reached = True
        SHED.inc()
        return True

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait_budget_s))

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold a place while the request waits for its decision; raises Overloaded."""
        if self.refuses():
            raise Overloaded(self.retry_after)
        self.in_flight += 1
        self._reached |= self.in_flight >= int(self.limit)
        try:
            yield
        finally:
            self.in_flight -= 1

    def decided(self, waited_s: float | None) -> None:
        """A request's wait ended: its decision came after `waited_s`, or never (None)."""
        self._decided += 1
        if waited_s is None or waited_s > self.wait_budget_s:
            self._late += 1
        now = self.clock()
        elapsed = now - self._window_start
        if elapsed < WINDOW_SECONDS:
            return
        if elapsed <= STALL_SECONDS:  # else decisions had stopped: a stall, left alone
            grown = self.limit * (1 + GROW) + 1
            if self._late > LATE_SHARE * self._decided:
                self._set_limit(self.limit * SHRINK)
            elif self._reached:
                self._set_limit(grown)
            elif self.limit < START:
                self._set_limit(min(float(START), grown))
        self._window_start, self._decided, self._late = now, 0, 0
        self._reached = False

    def _set_limit(self, wanted: float) -> None:
        self.limit = min(float(self.max_in_flight), max(float(FLOOR), wanted))
        SHED_LIMIT.set(self.limit)
