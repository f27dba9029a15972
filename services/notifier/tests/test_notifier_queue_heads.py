"""Deciding `near` reads only the head of each queue (issue #13): the SQL picks them by
`opd_shared.readmodel.queue_order`, which must be `queue_key`'s order, or a token near its
turn would be left unread (and untold)."""

from __future__ import annotations

import random

from sqlalchemy import delete, insert

from notifier.models import Token
from notifier.projection import queue_heads
from opd_contracts.vocabulary import LIVE, TokenStatus, queue_key

from .conftest import at


def _tokens(rng: random.Random, slot_ids: list[int]) -> list[dict]:
    """Every status, emergencies, few scores, and ids in another order than arrival, so the
    order turns on each of its parts."""
    return [{"id": slot_id * 1000 + i, "slot_id": slot_id, "source": "walk_in",
             "status": rng.choice(list(TokenStatus)).value, "is_emergency": rng.random() < 0.1,
             "priority_score": rng.choice([10, 20, 30, 40]), "is_overflow": False,
             "allocated_at": at("08:00"), "version": 1, "doctor_id": 1,
             "token_number": f"D1-{slot_id}-{n}", "sequence_number": n}
            for slot_id in slot_ids for i, n in enumerate(rng.sample(range(1, 1000), 150))]


def _head(tokens: list[dict], slot_id: int, places: int | None) -> list[int]:
    queue = sorted((t for t in tokens if t["slot_id"] == slot_id and t["status"] in LIVE),
                   key=lambda t: queue_key(TokenStatus(t["status"]), t["is_emergency"],
                                           t["priority_score"], t["sequence_number"]))
    return sorted(t["id"] for t in queue[:places])


async def test_the_heads_read_are_the_first_places_of_each_queue_in_queue_key_order(
    notifier
) -> None:
    slot_ids = [random.randrange(10**8, 10**9) for _ in range(3)]
    tokens = _tokens(random.Random(13), slot_ids)
    async with notifier.app.state.runtime.sessions.begin() as session:
        await session.execute(insert(Token), tokens)
    try:
        async with notifier.app.state.runtime.sessions() as session:
            heads = {places: await queue_heads(session, slot_ids, places)
                     for places in (1, 7, None)}
    finally:
        async with notifier.app.state.runtime.sessions.begin() as session:
            await session.execute(delete(Token).where(Token.slot_id.in_(slot_ids)))

    for places, rows in heads.items():
        for slot_id in slot_ids:
            read = sorted(r.id for r in rows if r.slot_id == slot_id)
            assert read == _head(tokens, slot_id, places), (places, slot_id)
    assert len(heads[None]) == sum(t["status"] in LIVE for t in tokens)
