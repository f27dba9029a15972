"""Deciding `near` reads each queue only as far as a token can be near (issue #13), and
tells exactly whom walking every queue to its end would: pinned at the thresholds'
boundary, and against that plain walk over random slots and queues. No database: the
heads are made here as `notifier.heads` reads them (each queue in `queue_key` order, cut
at `near_reach`, its waiting tokens with their places), which its own test checks against
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.projection import near_in_slots
from notifier.rules import Thresholds, Told, is_near, near_reach, near_wait, planned_wait
from opd_contracts.vocabulary import LIVE, WAITING, TokenStatus, queue_key

from .conftest import DAY, at

TIMEZONE = "Asia/Kolkata"


class SlotTimes(NamedTuple):
    id: int
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    max_capacity: int


class Head(NamedTuple):
    id: int
    slot_id: int
    ahead: int


class Place(NamedTuple):
    id: int
    slot_id: int
    status: str
    is_emergency: bool
    priority_score: int
    sequence_number: int


def _nine_to_ten(statuses: list[TokenStatus]) -> tuple[SlotTimes, list[Place]]:
    """A 09:00-10:00 slot of six places (ten minutes each), its tokens in arrival order."""
    slot = SlotTimes(1, DAY, dt.time(9), dt.time(10), 6)
    return slot, [Place(100 + n, 1, s.value, False, 40, n) for n, s in enumerate(statuses)]


def _queue(live: list[Place], slot_id: int) -> list[Place]:
    return sorted((t for t in live if t.slot_id == slot_id), key=lambda t: queue_key(
        TokenStatus(t.status), t.is_emergency, t.priority_score, t.sequence_number))


def _near(slots: list[SlotTimes], live: list[Place], now: dt.datetime, limits: Thresholds
          ) -> list[Told]:
    """`near_in_slots` on the heads `notifier.heads` would read (nobody told yet): of each
    slot where a token can be near, the waiting tokens among its first `near_reach` places,
    with their places."""
    heads = []
    for slot in slots:
        starts_at = dt.datetime.combine(slot.date, slot.start_time, at("09:00").tzinfo)
        reach = near_reach(slot.start_time, slot.end_time, slot.max_capacity, starts_at, now,
                           limits)
        if reach != 0:
            heads += [Head(t.id, slot.id, ahead) for ahead, t in enumerate(
                _queue(live, slot.id)[:reach]) if TokenStatus(t.status) in WAITING]
    return near_in_slots(slots, heads, TIMEZONE, now, limits)


def _reference(slots: list[SlotTimes], live: list[Place], now: dt.datetime,
               limits: Thresholds) -> list[Told]:
    """The plain walk: every slot's whole queue, every waiting token asked `is_near`."""
    told = []
    for slot in slots:
        starts_at = dt.datetime.combine(slot.date, slot.start_time, at("09:00").tzinfo)
        for ahead, token in enumerate(_queue(live, slot.id)):
            if TokenStatus(token.status) not in WAITING:
                continue
            wait = planned_wait(ahead, slot.start_time, slot.end_time, slot.max_capacity)
            if is_near(ahead, wait, starts_at, now, limits):
                told.append(Told(token.id, "near", f"near:{slot.id}", slot.id, ahead, wait))
    return told


def test_the_token_exactly_as_many_ahead_as_allowed_is_near_and_the_next_is_not() -> None:
    slot, live = _nine_to_ten([TokenStatus.CONSULTING] + [TokenStatus.ALLOCATED] * 5)

    told = _near([slot], live, at("09:00"), Thresholds(2, 15))

    assert [(t.token_id, t.ahead, t.wait_minutes) for t in told] == [(101, 1, 10),
                                                                      (102, 2, 20)]


def test_the_token_whose_wait_is_exactly_the_minutes_allowed_is_near_and_the_next_is_not(
) -> None:
    slot, live = _nine_to_ten([TokenStatus.CONSULTING] + [TokenStatus.CHECKED_IN] * 5)

    told = _near([slot], live, at("09:00"), Thresholds(0, 20))

    assert [(t.token_id, t.ahead, t.wait_minutes) for t in told] == [(101, 1, 10),
                                                                      (102, 2, 20)]


def test_a_slot_starting_later_than_the_minutes_allowed_tells_nobody() -> None:
    slot, live = _nine_to_ten([TokenStatus.ALLOCATED] * 3)

    assert _near([slot], live, at("08:44"), Thresholds(2, 15)) == []
    assert [t.token_id for t in _near([slot], live, at("08:45"),
                                              Thresholds(2, 15))] == [100, 101, 102]


def test_a_slot_that_ends_before_it_starts_is_walked_to_its_end() -> None:
    """Its planned wait shrinks as the queue grows (0, 0, -1, -2 minutes here), so with a
    negative minutes threshold the second place is not near and the third is."""
    slot = SlotTimes(1, DAY, dt.time(9), dt.time(8), 60)
    live = [Place(100 + n, 1, TokenStatus.ALLOCATED.value, False, 40, n) for n in range(4)]

    told = _near([slot], live, at("09:10"), Thresholds(0, -1))

    assert [(t.token_id, t.ahead, t.wait_minutes) for t in told] == [
        (100, 0, 0), (102, 2, -1), (103, 3, -2)]


minutes = st.integers(0, 24 * 60 - 1)
slot_specs = st.lists(st.tuples(minutes, minutes, st.integers(0, 100) | st.integers(0, 600)),
                      min_size=1, max_size=4)
token_specs = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(sorted(LIVE)),
                                 st.booleans(), st.sampled_from([10, 20, 30, 40])),
                       max_size=60)


@settings(max_examples=300, deadline=None, database=None)
@given(slot_specs, token_specs, st.integers(0, 4) | st.integers(0, 100),
       st.integers(-30, 30) | st.integers(-60, 240), st.integers(-24 * 60, 24 * 60))
def test_the_walk_tells_whom_walking_every_queue_to_its_end_tells(
    slot_specs, token_specs, ahead, minutes_allowed, now_offset
) -> None:
    """Slots may end before they start and thresholds may be negative (settings forbid
    negative minutes; the rule does not): there the walk must not stop early."""
    slots = [SlotTimes(n, DAY, dt.time(start // 60, start % 60), dt.time(end // 60, end % 60),
                       capacity) for n, (start, end, capacity) in enumerate(slot_specs)]
    live = [Place(1000 + n, slot % len(slots), status.value, emergency, score, n)
            for n, (slot, status, emergency, score) in enumerate(token_specs)]
    now = at("09:00") + dt.timedelta(minutes=now_offset)
    limits = Thresholds(ahead, minutes_allowed)

    told = _near(slots, live, now, limits)

    assert sorted(told, key=repr) == sorted(_reference(slots, live, now, limits), key=repr)


@settings(max_examples=300, deadline=None, database=None)
@given(minutes, minutes, st.integers(0, 100) | st.integers(0, 600),
       st.integers(0, 4) | st.integers(0, 100), st.integers(-30, 30) | st.integers(-60, 240),
       st.integers(-24 * 60, 24 * 60))
def test_every_place_before_the_reach_is_near_and_none_from_it_on(
    start, end, capacity, ahead, minutes_allowed, now_offset
) -> None:
    """What makes reading only the first `near_reach` places of a queue safe: whoever
    holds a place, the tokens behind them cannot be near."""
    start_time, end_time = dt.time(start // 60, start % 60), dt.time(end // 60, end % 60)
    starts_at = dt.datetime.combine(DAY, start_time, at("09:00").tzinfo)
    now = at("09:00") + dt.timedelta(minutes=now_offset)
    limits = Thresholds(ahead, minutes_allowed)

    reach = near_reach(start_time, end_time, capacity, starts_at, now, limits)

    near = [near_wait(place, start_time, end_time, capacity, starts_at, now, limits)
            is not None for place in range(1100)]
    assert reach is None or near == [place < reach for place in range(1100)]
