"""The counts' storage sweeps expired counters seldom, and counts as `limits` counts."""

import asyncio
import time

import pytest
from limits.aio.storage import MemoryStorage

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

    assert type(counters.sliding.storage) is MemoryStorage
    assert counters.daily.storage is counters.sliding.storage


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
