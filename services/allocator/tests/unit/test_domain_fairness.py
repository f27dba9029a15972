"""Fairness: after N overtakes a waiting patient is no longer passed by newcomers."""

from __future__ import annotations

import pytest

from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.domain.priority import queue_order
from opd_contracts.vocabulary import Source, TokenStatus


@pytest.fixture
def fair(clinic):
    clinic.schedule.policy = Policy(FairnessPolicy(max_overtakes=2))
    return clinic


def test_each_newcomer_queued_ahead_counts_as_one_overtake(fair):
    slot = fair.open(capacity=10)
    walk_in = fair.book(slot, Source.WALK_IN)

    fair.book(slot, Source.ONLINE)
    fair.book(slot, Source.WALK_IN)  # equal score, behind: not an overtake

    assert walk_in.overtaken_count == 1


def test_after_the_limit_newcomers_queue_behind_and_the_reason_says_why(fair):
    slot = fair.open(capacity=10)
    walk_in = fair.book(slot, Source.WALK_IN)
    fair.book(slot, Source.ONLINE)
    fair.book(slot, Source.FOLLOW_UP)

    newcomer = fair.book(slot, Source.PRIORITY)

    assert newcomer.priority_score == walk_in.priority_score
    order = queue_order(slot.tokens)
    assert order.index(walk_in) < order.index(newcomer)
    assert "fairness" in fair.schedule.changes[-1].reason


def test_emergencies_are_never_held_back_and_do_not_count(fair):
    slot = fair.open(capacity=10)
    walk_in = fair.book(slot, Source.WALK_IN)
    fair.book(slot, Source.ONLINE)
    fair.book(slot, Source.ONLINE)

    emergency = fair.book(slot, Source.WALK_IN, emergency=True)

    assert queue_order(slot.tokens)[0] is emergency
    assert walk_in.overtaken_count == 2


def test_a_patient_seen_or_gone_no_longer_holds_newcomers_back(fair):
    slot = fair.open(capacity=10)
    walk_in = fair.book(slot, Source.WALK_IN)
    fair.book(slot, Source.ONLINE)
    fair.book(slot, Source.ONLINE)
    fair.walk(walk_in, TokenStatus.CANCELLED)

    newcomer = fair.book(slot, Source.ONLINE)

    assert newcomer.priority_score == 30


def test_the_policy_is_off_at_zero(clinic):
    slot = clinic.open(capacity=10)
    clinic.book(slot, Source.WALK_IN)
    for _ in range(5):
        clinic.book(slot, Source.ONLINE)

    assert clinic.book(slot, Source.PRIORITY).priority_score == 100
