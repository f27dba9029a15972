"""What access counts, in this process's memory: each key's requests a minute, each client
address's failed keys a minute, each key's bookings a day.

Per process, like every count here: N gateway processes let a key make N times its rate
and N times its daily bookings (README, "Try it"). In memory, so a count costs no round trip.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from zoneinfo import ZoneInfo

from opd_contracts.vocabulary import ErrorCode
from opd_shared.access.windows import FixedWindows, SlidingWindows
from opd_shared.clock import seconds_until_local_midnight
from opd_shared.http import ApiError

__all__ = ["Counters"]


MINUTE, DAY = 60, 24 * 60 * 60


class Counters:
    def __init__(self, failures_per_minute: int, timezone: str) -> None:
        # Two counters per key, not one entry per request as a moving window keeps: a
        # busy key (a booking channel at 1,000/s) would otherwise cost memory and CPU.
        self.sliding = SlidingWindows(MINUTE)
        # A day is a calendar day: its counter is named after the local date.
        self.daily = FixedWindows(DAY)
        self.failures_per_minute = failures_per_minute
        self.zone = ZoneInfo(timezone)
        # A failure weighs on the sliding window for two windows at most (its own, then as
        # the previous one): with none anywhere since, no address can be over its limit,
        # and the look-up every good key's request made is skipped (a second's margin, for
        # the windows read the wall clock).
        self._failures_weigh_s = 2 * MINUTE + 1
        self._last_failure = -math.inf  # time.monotonic() of the latest, from any address

    async def request(self, key_id: int, per_minute: int) -> None:
        """One request of a key; 429 `rate_limited` past its rate."""
        identity = ("requests", key_id, per_minute)  # a new rate counts afresh
        if not self.sliding.hit(per_minute, identity):
            raise ApiError(429, ErrorCode.RATE_LIMITED,
                           f"over {per_minute} requests a minute; slow down",
                           headers={"Retry-After": self._wait(identity)})

    async def refuse_failing(self, address: str) -> None:
        """429 `too_many_failures` if `address` sent too many bad keys this last minute."""
        if time.monotonic() - self._last_failure > self._failures_weigh_s:
            return
        identity = ("failures", address, self.failures_per_minute)
        if not self.sliding.test(self.failures_per_minute, identity):
            raise ApiError(429, ErrorCode.TOO_MANY_FAILURES,
                           f"over {self.failures_per_minute} unknown or malformed keys a "
                           "minute from this address; wait",
                           headers={"Retry-After": self._wait(identity)})

    async def failed(self, address: str) -> None:
        self._last_failure = time.monotonic()
        self.sliding.hit(self.failures_per_minute,
                         ("failures", address, self.failures_per_minute))

    async def booking(self, key_id: int, per_day: int) -> None:
        """One booking of a key; 429 `quota_exceeded` past its quota, until local midnight."""
        now = dt.datetime.now(self.zone)
        if not self.daily.hit(per_day, ("bookings", key_id, now.date().isoformat(), per_day)):
            raise ApiError(429, ErrorCode.QUOTA_EXCEEDED,
                           f"over this key's {per_day} bookings today; the count restarts "
                           "at midnight, hospital time",
                           headers={"Retry-After": str(
                               seconds_until_local_midnight(self.zone.key, now))})

    def _wait(self, identity: tuple[object, ...]) -> str:
        return str(max(1, math.ceil(self.sliding.reset_at(identity) - time.time())))
