"""The simulation's pure parts: the plan, the clock and the figures' definitions."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from opd_ops.sim.clock import SimClock, Stalled
from opd_ops.sim.figures import percentile, wait_minutes
from opd_ops.sim.plan import plan_day
from opd_ops.sim.scenario import Scenario


def test_the_same_seed_plans_the_same_day_and_another_seed_another():
    assert plan_day(Scenario(seed=4)) == plan_day(Scenario(seed=4))
    assert plan_day(Scenario(seed=4)) != plan_day(Scenario(seed=5))


def test_arrivals_peak_in_the_morning_and_sources_follow_the_mix():
    visits, _ = plan_day(Scenario(patients=2000))
    by_hour = Counter(v.arrives // 60 for v in visits)
    sources = Counter(v.source for v in visits)

    assert max(by_hour, key=by_hour.__getitem__) in (8, 9, 10)
    assert by_hour[9] > 2 * by_hour[15]
    assert 0.36 < sources["walk_in"] / 2000 < 0.44
    assert 0.07 < sources["priority"] / 2000 < 0.13


def test_walk_ins_never_cancel_or_stay_away():
    visits, _ = plan_day(Scenario(patients=500))

    assert {v.fate for v in visits if v.source == "walk_in"} == {"attend"}
    assert {"cancel", "no_show"} <= {v.fate for v in visits}


async def test_the_clock_wakes_actors_in_order_and_never_early():
    clock, seen = SimClock(0, 100, 0), []

    async def actor(name: str, at: int) -> None:
        await clock.sleep_until(at)
        seen.append((clock.now, name))
        await asyncio.sleep(0.01)  # an answer on its way
        await clock.sleep(5)
        seen.append((clock.now, name))

    for name, at in (("b", 20), ("a", 10), ("c", 20)):
        clock.spawn(actor(name, at))
    began = time.monotonic()
    await clock.run(lambda _: None)

    assert [t for t, _ in seen] == sorted(t for t, _ in seen)
    assert seen[0] == (10, "a") and (25, "b") in seen and (25, "c") in seen
    assert time.monotonic() - began < 1  # unpaced: as fast as the actors go


async def test_a_paced_clock_takes_the_wall_clock_time_asked_for():
    clock = SimClock(0, 100, 0.5)

    async def actor() -> None:
        await clock.sleep_until(100)

    clock.spawn(actor())
    began = time.monotonic()
    await clock.run(lambda _: None)

    assert 0.45 < time.monotonic() - began < 1.0


async def test_an_actor_stuck_outside_the_clock_stops_the_day_saying_where_it_waits():
    clock, never = SimClock(0, 100, 0, stall_seconds=0.2), asyncio.Event()

    async def desk() -> None:
        await never.wait()  # an answer that never comes

    async def actor() -> None:
        await clock.sleep_until(10)
        await desk()

    clock.spawn(actor())
    with pytest.raises(Stalled, match=r"(?s)at 00:10.*actor:\d+ > desk:\d+"):
        await asyncio.wait_for(clock.run(lambda _: None), 5)


def test_waits_and_percentiles_are_defined_as_analytics_defines_them():
    start = "2026-01-01T09:00:00+05:30"

    assert wait_minutes(start, "2026-01-01T09:00:59+05:30") == 0
    assert wait_minutes(start, "2026-01-01T10:07:00+05:30") == 65  # 5-minute steps past 1 h
    assert wait_minutes(start, None) is None
    assert percentile([0, 1, 2, 3], 0.5) == 1.5
    assert percentile([0, 1, 2, 3], 0.9) == 2.7
    assert percentile([], 0.5) is None
