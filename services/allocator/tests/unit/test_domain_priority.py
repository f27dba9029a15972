"""Who is seen first: emergencies, then the higher score, then who came first."""

from __future__ import annotations

import pytest

from allocator.domain.priority import priority_score, queue_order
from opd_contracts.vocabulary import Source, TokenStatus


@pytest.mark.parametrize(("source", "score"), [
    (Source.PRIORITY, 100), (Source.FOLLOW_UP, 50), (Source.ONLINE, 30), (Source.WALK_IN, 10),
])
def test_the_score_is_ten_points_per_unit_of_source_weight(source, score):
    assert priority_score(source) == score


def test_sources_rank_priority_then_follow_up_then_online_then_walk_in():
    ranked = sorted(Source, key=priority_score, reverse=True)

    assert ranked == [Source.PRIORITY, Source.FOLLOW_UP, Source.ONLINE, Source.WALK_IN]


def test_a_higher_score_is_seen_before_an_earlier_arrival(clinic):
    slot = clinic.open(capacity=4)
    walk_in = clinic.book(slot, Source.WALK_IN)
    online = clinic.book(slot, Source.ONLINE)
    follow_up = clinic.book(slot, Source.FOLLOW_UP)
    vip = clinic.book(slot, Source.PRIORITY)

    order = queue_order(slot.tokens)

    assert order == [vip, follow_up, online, walk_in]


def test_equal_scores_are_seen_in_order_of_arrival(clinic):
    slot = clinic.open(capacity=3)
    first, second, third = (clinic.book(slot, Source.ONLINE) for _ in range(3))

    order = queue_order(slot.tokens)

    assert order == [first, second, third]


def test_an_emergency_walk_in_is_seen_before_a_vip(clinic):
    slot = clinic.open(capacity=3)
    vip = clinic.book(slot, Source.PRIORITY)
    emergency = clinic.book(slot, Source.WALK_IN, emergency=True)

    order = queue_order(slot.tokens)

    assert order == [emergency, vip]


def test_emergencies_among_themselves_go_by_score_then_arrival(clinic):
    slot = clinic.open(capacity=3)
    walk_in_emergency = clinic.book(slot, Source.WALK_IN, emergency=True)
    later_priority_emergency = clinic.book(slot, Source.PRIORITY, emergency=True)
    latest_walk_in_emergency = clinic.book(slot, Source.WALK_IN, emergency=True)

    order = queue_order(slot.tokens)

    assert order == [later_priority_emergency, walk_in_emergency, latest_walk_in_emergency]


def test_the_patient_being_consulted_stays_at_the_head_of_the_queue(clinic):
    slot = clinic.open(capacity=3)
    consulting = clinic.walk(clinic.book(slot, Source.WALK_IN),
                             TokenStatus.CHECKED_IN, TokenStatus.CONSULTING)
    emergency = clinic.book(slot, Source.PRIORITY, emergency=True)

    order = queue_order(slot.tokens)

    assert order == [consulting, emergency]


@pytest.mark.parametrize("closing", [
    (TokenStatus.CANCELLED,),
    (TokenStatus.NO_SHOW,),
    (TokenStatus.CHECKED_IN, TokenStatus.CONSULTING, TokenStatus.COMPLETED),
])
def test_finished_and_closed_tokens_leave_the_queue(clinic, closing):
    slot = clinic.open(capacity=2)
    gone = clinic.walk(clinic.book(slot, Source.PRIORITY), *closing)
    waiting = clinic.book(slot, Source.WALK_IN)

    order = queue_order(slot.tokens)

    assert gone not in order
    assert order == [waiting]


def test_a_checked_in_patient_keeps_their_place_by_score_not_by_arrival_at_the_desk(clinic):
    slot = clinic.open(capacity=2)
    online = clinic.book(slot, Source.ONLINE)
    walk_in = clinic.walk(clinic.book(slot, Source.WALK_IN), TokenStatus.CHECKED_IN)

    order = queue_order(slot.tokens)

    assert order == [online, walk_in]
