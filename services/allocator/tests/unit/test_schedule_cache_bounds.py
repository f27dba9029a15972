"""The schedule cache is bounded by tokens as well as doctors: a schedule holds all its
doctor's tokens from today on, so memory would otherwise grow with the day's bookings."""

from __future__ import annotations

from allocator.adapters.schedule_cache import Cached, ScheduleCache

from .conftest import Clinic


def _booked(clinic: Clinic, count: int) -> Cached:
    """`count` more tokens, in a slot of their own after the clinic's others."""
    hour = 9 + len(clinic.schedule.slots)
    clinic.fill(clinic.open(f"{hour:02d}:00", f"{hour + 1:02d}:00", capacity=count))
    return Cached(clinic.schedule, seq=1)


def test_the_least_recently_used_schedules_go_once_the_tokens_exceed_the_bound(make_clinic):
    cache = ScheduleCache(capacity=100, max_tokens=10)
    first, second, third = make_clinic(), make_clinic(), make_clinic()

    cache.keep(1, _booked(first, 4))
    cache.keep(2, _booked(second, 4))
    cache.keep(1, _booked(first, 1))  # grew to 5 and was used again: 9 tokens in all
    before = (1 in cache, 2 in cache, cache.tokens)
    cache.keep(3, _booked(third, 3))  # 12 > 10: doctor 2 is the least recently used

    assert before == (True, True, 9)
    assert (1 in cache, 2 in cache, 3 in cache, cache.tokens) == (True, False, True, 8)


def test_a_schedule_bigger_than_the_bound_is_kept_alone(make_clinic):
    cache = ScheduleCache(capacity=100, max_tokens=10)
    cache.keep(1, _booked(make_clinic(), 3))

    cache.keep(2, _booked(make_clinic(), 50))
    alone = (1 in cache, 2 in cache, cache.tokens)
    cache.drop(2)

    assert alone == (False, True, 50)
    assert (len(cache), cache.tokens) == (0, 0)
