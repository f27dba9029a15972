"""Access's windows (opd_shared.access.windows) answer as the `limits` library's in-memory
strategies they replace: the same random hits, at the same moments of a clock of the
test's own, are allowed or refused alike, and a refusal's reset time is the same."""

from __future__ import annotations

import random
import time

import pytest
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter

from opd_shared.access.windows import FixedWindows, SlidingWindows


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0  # a minute's start, as windows are aligned on the epoch

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(time, "time", clock)
    return clock


@pytest.mark.parametrize("seed", range(5))
async def test_sliding_windows_allow_refuse_and_reset_as_the_library_does(clock, seed):
    draw = random.Random(seed)
    library = SlidingWindowCounterRateLimiter(MemoryStorage())
    ours = SlidingWindows(60)
    theirs_said, ours_said = [], []

    for _ in range(600):
        clock.now += draw.choice([0.0, 0.3, 1.7, 4.0, 11.5, 29.9])
        name, limit = draw.choice(["a", "b"]), draw.choice([3, 7])
        item = RateLimitItemPerMinute(limit)
        if draw.random() < 0.8:
            theirs_said.append(await library.hit(item, name))
            ours_said.append(ours.hit(limit, (name, limit)))
        else:
            theirs_said.append(await library.test(item, name))
            ours_said.append(ours.test(limit, (name, limit)))
        stats = await library.get_window_stats(item, name)
        theirs_said.append(round(stats.reset_time, 6))
        ours_said.append(round(ours.reset_at((name, limit)), 6))

    assert ours_said == theirs_said
    assert False in ours_said and True in ours_said  # both answers were met


@pytest.mark.parametrize("seed", range(3))
async def test_fixed_windows_count_and_expire_as_the_library_does(clock, seed):
    draw = random.Random(seed)
    library = FixedWindowRateLimiter(MemoryStorage())
    ours = FixedWindows(60)
    theirs_said, ours_said = [], []

    for _ in range(400):
        clock.now += draw.choice([0.0, 0.5, 3.0, 9.0, 25.0])
        name = draw.choice(["x", "y"])
        theirs_said.append(await library.hit(RateLimitItemPerMinute(4), name))
        ours_said.append(ours.hit(4, name))

    assert ours_said == theirs_said
    assert False in ours_said and True in ours_said


def test_counts_no_hit_can_read_any_more_are_dropped(clock):
    windows = SlidingWindows(60)
    for name in ("a", "b", "c"):
        windows.hit(10, name)

    clock.now += 60
    windows.hit(10, "a")  # the next window: the first one's counts are still read
    kept_a_minute = len(windows._counts)
    clock.now += 60
    windows.hit(10, "a")  # two windows on: theirs are not

    assert (kept_a_minute, len(windows._counts)) == (4, 2)
