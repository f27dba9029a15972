"""The two kinds of count access keeps, in plain dictionaries: a sliding window counter (a
key's requests a minute, an address's failed keys) and a fixed window (a key's bookings a
day).

Why not the `limits` library, whose in-memory strategies these were and whose answers
these are (the same windows, the same weighting, the same expiry, the same reset time;
tests/test_shared_access_windows.py plays random hits through both): every hit built its
key string from the limit and the identifiers, went through its storage's wrapped async
methods and an asyncio lock per key. A key's request counted cost 6.1-6.8 us of CPU through
the library and 0.8-0.9 here, a booking against a daily quota 4.3-4.4 and 1.1-1.2
(`Counters` called 30,000 times in a loop, three runs alternated, load average 2.9-4.0 on
the 2-core development machine): on every guarded request of every service, and on every
booking of a key with a quota. Here a hit is a few dictionary look-ups.

Memory: each window's counts are dropped once no hit can read them (the sliding window's
after two windows, the fixed window's when it expires), swept once a window (a minute),
as the library's expiry task dropped them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable

__all__ = ["FixedWindows", "SlidingWindows"]


class SlidingWindows:
    """Hits per identity in windows of `seconds` aligned on the epoch; a hit is allowed
    while this window's count, plus the previous window's weighted by the share of it a
    sliding window of `seconds` ending now still covers, stays within the limit."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self._counts: dict[tuple[Hashable, int], int] = {}  # (identity, window) -> hits
        self._swept = 0  # the window whose older counts were dropped

    def hit(self, limit: int, identity: Hashable) -> bool:
        """One hit, unless it would take the weighted count past `limit`."""
        now = time.time()
        current = int(now / self.seconds)
        if current != self._swept:
            self._sweep(current)
        before, count = self._weighted(identity, now)
        if math.floor(before) + 1 > limit:
            return False
        self._counts[identity, current] = count + 1
        return True

    def test(self, limit: int, identity: Hashable) -> bool:
        """Whether one more hit would be allowed (nothing counted)."""
        weighted, _ = self._weighted(identity, time.time())
        return weighted < limit

    def reset_at(self, identity: Hashable) -> float:
        """When the weighted count next drops by one (the wall clock's time), or now
        when nothing is counted."""
        now = time.time()
        seconds = self.seconds
        previous = self._counts.get((identity, int((now - seconds) / seconds)), 0)
        current = self._counts.get((identity, int(now / seconds)), 0)
        if not (previous or current):
            return now
        previous_reset_in = current_reset_in = math.inf
        if previous:
            previous_reset_in = self._previous_left(now) % (seconds / previous)
        if current:
            current_reset_in = ((1 - ((now / seconds) % 1)) * seconds + seconds) % seconds
        return now + min(previous_reset_in, current_reset_in)

    def _weighted(self, identity: Hashable, now: float) -> tuple[float, int]:
        """The weighted count at `now`, and this window's own count."""
        seconds = self.seconds
        previous = self._counts.get((identity, int((now - seconds) / seconds)), 0)
        current = self._counts.get((identity, int(now / seconds)), 0)
        if not previous:
            return float(current), current
        return previous * self._previous_left(now) / seconds + current, current

    def _previous_left(self, now: float) -> float:
        """How much of the previous window the sliding window still covers, in seconds."""
        seconds = self.seconds
        return (1 - (((now - seconds) / seconds) % 1)) * seconds

    def _sweep(self, current: int) -> None:
        self._counts = {key: hits for key, hits in self._counts.items()
                        if key[1] >= current - 1}
        self._swept = current


class FixedWindows:
    """Hits per identity, each identity's count starting when it is first hit and
    lasting `seconds` (an identity names its own window, a day's counter its date)."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self._counts: dict[Hashable, list[float]] = {}  # identity -> [hits, expires at]
        self._sweep_at = 0.0

    def hit(self, limit: int, identity: Hashable) -> bool:
        """One hit, counted whether or not it is allowed; allowed while within `limit`."""
        now = time.time()
        if now >= self._sweep_at:
            self._counts = {key: entry for key, entry in self._counts.items()
                            if entry[1] > now}
            self._sweep_at = now + 60
        entry = self._counts.get(identity)
        if entry is None or entry[1] <= now:
            entry = self._counts[identity] = [0, now + self.seconds]
        entry[0] += 1
        return entry[0] <= limit
