"""The counts' storage sweeps expired counters seldom, and counts as `limits` counts."""

import asyncio
import datetime as dt
import time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from limits import RateLimitItemPerDay, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

from opd_shared.access import counting
from opd_shared.access.counting import Counters, swept_seldom
from opd_shared.http import ApiError


@pytest.fixture
def sweeps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the sweeps `limits`' memory storage starts."""
    started: list[str] = []
    create_task = asyncio.create_task

    def counted(coroutine, **options):  # type: ignore[no-untyped-def]
        if coroutine.__qualname__.endswith("__expire_events"):
            started.append(coroutine.__qualname__)
        return create_task(coroutine, **options)

    monkeypatch.setattr(asyncio, "create_task", counted)
    return started


def test_the_hook_is_still_where_limits_keeps_it() -> None:
    """`swept_seldom` replaces a private method by its mangled name: a release of `limits`
    that renames it would leave the sweep on every request again, unnoticed."""
    assert callable(getattr(MemoryStorage, "_MemoryStorage__schedule_expiry", None))


def test_the_counts_storage_is_limits_own_class_whose_methods_are_wrapped_once() -> None:
    """A subclass of it would have `limits` wrap every storage method again."""
    counters = Counters(failures_per_minute=10, timezone="Asia/Kolkata")

    assert type(counters.storage) is MemoryStorage
    assert counters.sliding.storage is counters.storage


async def test_requests_served_one_loop_turn_apart_start_one_sweep_not_one_each(
        sweeps: list[str]) -> None:
    counters = Counters(failures_per_minute=10, timezone="Asia/Kolkata")
    for _ in range(50):
        await counters.request(key_id=1, per_minute=1000)
        await asyncio.sleep(0)  # the loop turns, as a server's does between requests

    assert len(sweeps) == 1


async def test_a_sweep_starts_again_once_its_interval_has_passed(
        sweeps: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    storage = swept_seldom(MemoryStorage(), sweep_s=5)
    clock = [1000.0]
    monkeypatch.setattr(counting.time, "monotonic", lambda: clock[0])
    await storage.incr("a", expiry=60)
    await asyncio.sleep(0)
    clock[0] += 4
    await storage.incr("a", expiry=60)
    await asyncio.sleep(0)
    clock[0] += 2
    await storage.incr("a", expiry=60)

    assert len(sweeps) == 2


async def test_a_swept_storage_frees_expired_counters() -> None:
    storage = swept_seldom(MemoryStorage(), sweep_s=0)
    await storage.incr("gone", expiry=0.01)
    await asyncio.sleep(0.02)
    await storage.incr("kept", expiry=60)  # starts a sweep
    await asyncio.sleep(0.01)

    assert "gone" not in storage.storage and storage.storage["kept"] == 1


async def test_an_expired_counter_counts_from_zero_without_a_sweep() -> None:
    storage = swept_seldom(MemoryStorage(), sweep_s=3600)
    await storage.incr("key", expiry=60)  # the one sweep of the hour starts here
    await storage.incr("key", expiry=0.01)
    storage.expirations["key"] = time.time() - 1  # its window is over

    assert await storage.get("key") == 0
    assert await storage.incr("key", expiry=60) == 1


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_a_key_past_its_rate_is_still_refused() -> None:
    counters = Counters(failures_per_minute=10, timezone="Asia/Kolkata")
    for _ in range(3):
        await counters.request(key_id=7, per_minute=3)
        await asyncio.sleep(0)
    with pytest.raises(ApiError) as refused:
        await counters.request(key_id=7, per_minute=3)

    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_a_keys_requests_are_counted_where_limits_sliding_window_reads_them() -> None:
    counters = Counters(failures_per_minute=10, timezone="Asia/Kolkata")
    for _ in range(3):
        await counters.request(key_id=7, per_minute=5)

    stats = await counters.sliding.get_window_stats(RateLimitItemPerMinute(5), "7")
    assert stats.remaining == 2


def _clock_at(monkeypatch: pytest.MonkeyPatch, local: str) -> list[float]:
    """counting's clock, set to a time in Kolkata; moved by changing the list's one item."""
    now = [dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Kolkata"))
           .timestamp()]
    monkeypatch.setattr(counting, "time", SimpleNamespace(time=lambda: now[0],
                                                          monotonic=time.monotonic))
    return now


async def test_bookings_are_counted_where_limits_fixed_window_reads_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _clock_at(monkeypatch, "2026-12-06T10:00:00")
    counters = Counters(failures_per_minute=10, timezone="Asia/Kolkata")
    for _ in range(2):
        await counters.booking(key_id=3, per_day=5)

    stats = await FixedWindowRateLimiter(counters.storage).get_window_stats(
        RateLimitItemPerDay(5), "bookings", "3", "2026-12-06")
    assert stats.remaining == 3


async def test_a_keys_bookings_count_anew_once_the_hospitals_day_changes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = _clock_at(monkeypatch, "2026-12-06T23:59:58")
    counters = Counters(failures_per_minute=10, timezone="Asia/Kolkata")
    await counters.booking(key_id=3, per_day=1)
    with pytest.raises(ApiError) as refused:
        await counters.booking(key_id=3, per_day=1)
    now[0] += 3  # 00:00:01, the next day
    await counters.booking(key_id=3, per_day=1)

    assert refused.value.code == "quota_exceeded"
    assert refused.value.headers["Retry-After"] == "2"
