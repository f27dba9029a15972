"""Bounded admission: overload is shed at the door, not queued where it cannot be served.

Without it a gateway takes every request, publishes it and waits; past the allocator's
capacity the partition queues grow, every answer comes later, and at 1,000 bookings/s
offered to a 300/s system the answered requests waited 1-2 s (BENCHMARKS.md). With it a
request that could not be decided within the wait budget is refused at once: 503,
`Retry-After`, nothing published, nothing to undo.

The rule is Little's law on what this process sees: requests in flight = decisions per
second x the time each waits. So with the recent decision rate measured, at most
`rate x wait_budget` requests may be in flight (never fewer than `IN_FLIGHT_FLOOR`, so
that a quiet gateway's low rate does not refuse the start of a rush, and never more than
`max_in_flight`). Below capacity the rate is the offered load and the bound sits above
what is in flight; at capacity the rate is the capacity, and the bound is what capacity
can decide within the budget. No timer and no queue: one comparison per request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["IN_FLIGHT_FLOOR", "Admission", "Overloaded"]

IN_FLIGHT_FLOOR = 64  # always admitted: a quiet gateway's measured rate says nothing
RATE_WINDOW_SECONDS = 0.25  # decisions are counted over windows this long, then smoothed


class Overloaded(Exception):
    """Refused at the door; `retry_after` is whole seconds for the Retry-After header."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the gateway is at capacity; try again in {retry_after} s")
        self.retry_after = retry_after


class Admission:
    def __init__(self, max_in_flight: int, wait_budget_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_in_flight, self.wait_budget_s, self.clock = max_in_flight, wait_budget_s, clock
        self.in_flight = 0
        self.rate = 0.0  # decisions per second, smoothed over windows
        self._window_start, self._window_count = clock(), 0

    def bound(self) -> int:
        """How many requests may be in flight now."""
        fits = int(self.rate * self.wait_budget_s)
        return min(self.max_in_flight, max(IN_FLIGHT_FLOOR, fits))

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold a place while the request waits for its decision; raises Overloaded."""
        if self.in_flight >= self.bound():
            raise Overloaded(max(1, math.ceil(self.wait_budget_s)))
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def decided(self) -> None:
        """A decision came back: count it toward the rate."""
        self._window_count += 1
        now = self.clock()
        elapsed = now - self._window_start
        if elapsed >= RATE_WINDOW_SECONDS:
            measured = self._window_count / elapsed
            self.rate = measured if self.rate == 0 else (self.rate + measured) / 2
            self._window_start, self._window_count = now, 0
