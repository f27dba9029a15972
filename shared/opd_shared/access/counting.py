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

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from opd_contracts.vocabulary import ErrorCode
from opd_shared.clock import seconds_until_local_midnight
from opd_shared.http import ApiError

__all__ = ["Counters", "swept_seldom"]

_DAY_S = RateLimitItemPerDay(1).get_expiry()  # how long a day's counter is kept


_SCHEDULE_SWEEP = "_MemoryStorage__schedule_expiry"  # MemoryStorage.__schedule_expiry


def swept_seldom(storage: MemoryStorage, sweep_s: float = 1.0) -> MemoryStorage:
    """`limits`' memory storage, its expired counters swept at most once a `sweep_s`.

    Why: the storage starts a task to sweep expired counters on every count once the last
    sweep has finished, that is on every request of a server whose event loop turns between
    requests (uvicorn's): a task made, scheduled and run, over every key, on each request.
    A key's count with the loop turning between counts, medians of 3 alternated, load
    average 4.5 on 2 cores (2026-12-06): 14.3 us before, 9.9 after.
    The sweep only frees memory: every read of a counter drops it first if it has expired
    (`get`, which `incr` and the windows' reads call), so what is counted and refused is the
    same. Counters of keys no longer used stay at most `sweep_s` longer.

    The storage's private hook is replaced on the instance, by its mangled name: a subclass
    would have every storage method wrapped a second time by `limits` (its
    `__init_subclass__` wraps them for error translation), about 4 us more a count.
    shared/tests/test_shared_access_counting.py fails should a release rename the hook.
    """
    schedule = getattr(storage, _SCHEDULE_SWEEP)
    next_sweep = -math.inf  # time.monotonic() from which a sweep may start

    async def seldom() -> None:
        nonlocal next_sweep
        now = time.monotonic()
        if now < next_sweep:
            return
        next_sweep = now + sweep_s
        await schedule()

    setattr(storage, _SCHEDULE_SWEEP, seldom)
    return storage


class Counters:
    def __init__(self, failures_per_minute: int, timezone: str) -> None:
        self.storage = storage = swept_seldom(MemoryStorage())
        # Two counters per key, not one entry per request as a moving window keeps: a
        # busy key (a booking channel at 1,000/s) would otherwise cost memory and CPU.
        self.sliding = SlidingWindowCounterRateLimiter(storage)
        self.failures = RateLimitItemPerMinute(failures_per_minute)
        self.zone = ZoneInfo(timezone)
        # A failure weighs on the sliding window for two windows at most (its own, then as
        # the previous one): with none anywhere since, no address can be over its limit,
        # and the look-up every good key's request made is skipped (a second's margin, for
        # the limiter reads the wall clock).
        self._failures_weigh_s = 2 * self.failures.get_expiry() + 1
        self._last_failure = -math.inf  # time.monotonic() of the latest, from any address
        # Each key's rate and its counter's name in the storage, worked out once: a key
        # never changes its rate, and the keys a process sees are few (the store's keys).
        self._rates: dict[int, tuple[int, RateLimitItem, str]] = {}
        # The hospital's date, worked out once a day: [starts, ends) in time.time().
        self._date, self._day_starts, self._day_ends = "", math.inf, -math.inf
        self._quotas: dict[tuple[int, int], str] = {}  # (key, quota): today's counter's name

    async def request(self, key_id: int, per_minute: int) -> None:
        """One request of a key; 429 `rate_limited` past its rate.

        Why straight to the storage, with the counter's name kept: `self.sliding.hit` makes
        the same call (`acquire_sliding_window_entry`) after naming the counter afresh
        (`key_for`, 1.3 us), so what is counted and refused is the same.
        """
        rate = self._rates.get(key_id)
        if rate is None or rate[0] != per_minute:
            per_key: RateLimitItem = RateLimitItemPerMinute(per_minute)
            rate = self._rates[key_id] = (per_minute, per_key, per_key.key_for(str(key_id)))
        _, limit, name = rate
        if not await self.storage.acquire_sliding_window_entry(name, per_minute,
                                                               limit.get_expiry(), 1):
            raise ApiError(429, ErrorCode.RATE_LIMITED,
                           f"over {per_minute} requests a minute; slow down",
                           headers={"Retry-After": await self._wait(limit, str(key_id))})

    async def refuse_failing(self, address: str) -> None:
        """429 `too_many_failures` if `address` sent too many bad keys this last minute."""
        if time.monotonic() - self._last_failure > self._failures_weigh_s:
            return
        if not await self.sliding.test(self.failures, "failures", address):
            raise ApiError(429, ErrorCode.TOO_MANY_FAILURES,
                           f"over {self.failures.amount} unknown or malformed keys a minute "
                           "from this address; wait", headers={
                               "Retry-After": await self._wait(self.failures, "failures",
                                                               address)})

    async def failed(self, address: str) -> None:
        self._last_failure = time.monotonic()
        await self.sliding.hit(self.failures, "failures", address)

    async def booking(self, key_id: int, per_day: int) -> None:
        """One booking of a key; 429 `quota_exceeded` past its quota, until local midnight.

        A day is a calendar day: its counter is named after the local date, worked out once
        a day, not once a booking (1 us). The count is `limits`' fixed window's:
        `FixedWindowRateLimiter.hit` makes this same `incr` of the same name.
        """
        now = time.time()
        if not self._day_starts <= now < self._day_ends:
            self._new_day(now)
        name = self._quotas.get((key_id, per_day))
        if name is None:
            name = self._quotas[key_id, per_day] = RateLimitItemPerDay(per_day).key_for(
                "bookings", str(key_id), self._date)
        if await self.storage.incr(name, _DAY_S) > per_day:
            raise ApiError(429, ErrorCode.QUOTA_EXCEEDED,
                           f"over this key's {per_day} bookings today; the count restarts "
                           "at midnight, hospital time",
                           headers={"Retry-After": str(seconds_until_local_midnight(
                               self.zone.key, dt.datetime.fromtimestamp(now, self.zone)))})

    def _new_day(self, now: float) -> None:
        """The local date at `now`, and the instants it starts and ends (a zone's midnight
        that a clock change skips starts the day at the change)."""
        here = dt.datetime.fromtimestamp(now, self.zone)
        day = here.date()
        self._date = day.isoformat()
        self._day_starts = dt.datetime.combine(day, dt.time(), tzinfo=self.zone).timestamp()
        self._day_ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(),
                                             tzinfo=self.zone).timestamp()
        self._quotas.clear()

    async def _wait(self, limit: RateLimitItem, *identifiers: str) -> str:
        stats = await self.sliding.get_window_stats(limit, *identifiers)
        return str(max(1, math.ceil(stats.reset_time - time.time())))
