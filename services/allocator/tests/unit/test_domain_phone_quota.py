"""One phone number books at most N tokens a day with one doctor: no app fills a clinic."""

from __future__ import annotations

import datetime as dt

import pytest

from allocator.domain.errors import QuotaExceeded
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from opd_contracts.vocabulary import TokenStatus


@pytest.fixture
def limited(clinic):
    clinic.schedule.policy = Policy(FairnessPolicy(), bookings_per_phone_per_day=2)
    return clinic


def test_a_phone_books_up_to_the_limit_and_is_then_refused(limited):
    slot = limited.open(capacity=10)
    limited.book(slot, phone="+91 98450 11111")
    limited.book(slot, phone="+91 98450 11111")

    with pytest.raises(QuotaExceeded, match="booked 2 tokens with this doctor today"):
        limited.book(slot, phone="+91 98450 11111")

    assert slot.current_count == 2  # the refusal took no place


def test_spacing_and_a_plus_do_not_make_another_number(limited):
    slot = limited.open(capacity=10)
    limited.book(slot, phone="+91 98450 11111")
    limited.book(slot, phone="919845011111")

    with pytest.raises(QuotaExceeded):
        limited.book(slot, phone="+91-98450-11111")


def test_cancelled_bookings_count_because_churn_is_what_a_flood_looks_like(limited):
    slot = limited.open(capacity=10)
    for _ in range(2):
        limited.walk(limited.book(slot, phone="+91 98450 11111"), TokenStatus.CANCELLED)

    with pytest.raises(QuotaExceeded):
        limited.book(slot, phone="+91 98450 11111")


def test_other_numbers_and_the_next_day_are_free(limited):
    slot = limited.open(capacity=10)
    tomorrow = limited.open(day=1, capacity=10)
    limited.book(slot, phone="+91 98450 11111")
    limited.book(slot, phone="+91 98450 11111")

    limited.book(slot, phone="+91 98450 22222")
    limited.book(tomorrow, phone="+91 98450 11111", now=limited.at("08:00", day=1))

    assert (slot.current_count, tomorrow.current_count) == (3, 1)


def test_an_emergency_is_never_held_back_by_the_quota(limited):
    slot = limited.open(capacity=10)
    limited.book(slot, phone="+91 98450 11111")
    limited.book(slot, phone="+91 98450 11111")

    token = limited.book(slot, phone="+91 98450 11111", emergency=True)

    assert token.is_emergency


def test_a_limit_of_zero_turns_the_quota_off(clinic):
    slot = clinic.open(capacity=10)

    booked = [clinic.book(slot, phone="+91 98450 11111") for _ in range(10)]

    assert len(booked) == 10


def test_bookings_read_back_in_utc_count_for_the_hospitals_day(limited):
    slot = limited.open(capacity=10)
    early = limited.at("00:30")  # 19:00 UTC the evening before
    for _ in range(2):
        token = limited.book(slot, phone="+91 98450 11111", now=early)
        token.allocated_at = token.allocated_at.astimezone(dt.UTC)  # as the database returns it

    with pytest.raises(QuotaExceeded):
        limited.book(slot, phone="+91 98450 11111", now=limited.at("08:00"))
