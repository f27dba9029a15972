"""Fairness: a waiting patient is overtaken at most N times, then newcomers queue behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from .conftest import Api, running


@pytest.fixture(scope="module")
async def strict(infra) -> AsyncIterator[httpx.AsyncClient]:
    async with running(infra, fairness_max_overtakes=2) as client:
        yield client


async def test_after_two_overtakes_a_newcomer_queues_behind_the_walk_in(strict):
    api = Api(strict)
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=10)
    walk_in = (await api.book(slot, source="walk_in")).json()
    overtakers = [(await api.book(slot, source="online")).json() for _ in range(2)]

    newcomer = (await api.book(slot, source="online")).json()
    emergency = (await api.book(slot, source="walk_in", emergency=True)).json()

    assert [t["priority_score"] for t in overtakers] == [30, 30]
    assert newcomer["priority_score"] == walk_in["priority_score"] == 10
    assert newcomer["sequence_number"] > walk_in["sequence_number"]
    assert emergency["is_emergency"]  # emergencies are never held back
