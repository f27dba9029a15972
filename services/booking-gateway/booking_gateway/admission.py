"""Bounded admission: overload is shed at the door, not queued where it cannot be served.

Without it a gateway takes every request, publishes it and waits; past the allocator's
capacity the partition queues grow, every answer comes later, and at 1,000 bookings/s
offered to a 300/s system the answered requests waited 1-2 s (BENCHMARKS.md). With it a
request that could not be decided within the wait budget is refused at once: 503,
`Retry-After`, nothing published, nothing to undo.

The rule is Little's law on what this process sees: requests in flight = decisions per
second x the time each waits. So at most `capacity x wait_budget` requests may be in
flight, where capacity is the decision rate measured while the system was saturated: over
a window in which at least `IN_FLIGHT_FLOOR` requests were waiting all the time, the rate
at which they were decided is what the system can do. Below that the measured rate is
only the offered load, which says nothing about capacity, so it is not used: a quiet
gateway, or one that never saturated, admits up to `max_in_flight` (a burst of a hundred
bookings at once is decided, not refused). The bound is never below `IN_FLIGHT_FLOOR`
nor above `max_in_flight`. No timer and no queue: one comparison per request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["IN_FLIGHT_FLOOR", "Admission", "Overloaded"]

IN_FLIGHT_FLOOR = 64  # always admitted; waiting all the time: the system is saturated
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
        self.capacity = 0.0  # decisions per second while saturated, smoothed; 0: unknown
        self._window_start, self._window_count = clock(), 0
        self._window_least = max_in_flight  # the fewest in flight seen in this window

    def bound(self) -> int:
        """How many requests may be in flight now."""
        if not self.capacity:
            return self.max_in_flight
        fits = int(self.capacity * self.wait_budget_s)
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
        """A decision came back (its place already given up): count it toward the rate."""
        self._window_count += 1
        self._window_least = min(self._window_least, self.in_flight)
        now = self.clock()
        elapsed = now - self._window_start
        if elapsed >= RATE_WINDOW_SECONDS:
            if self._window_least >= IN_FLIGHT_FLOOR:  # saturated all along: capacity
                measured = self._window_count / elapsed
                self.capacity = (measured if not self.capacity
                                 else (self.capacity + measured) / 2)
            self._window_start, self._window_count = now, 0
            self._window_least = self.max_in_flight
