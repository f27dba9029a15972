"""Queue-view orders a queue in SQL; the order itself is the contracts' `queue_key`.

Random slots of tokens (ties of score included) are read back through `slot_queue` and
compared with the live tokens sorted by the contract's key: a change to either fails here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from opd_contracts.vocabulary import LIVE, TokenStatus, queue_key
from queue_view.models import Token
from queue_view.queries import slot_queue

_slot_ids = itertools.count(9_000_000)


def _random_tokens(rng: random.Random, slot_id: int) -> list[Token]:
    now = dt.datetime(2030, 1, 15, 8, tzinfo=dt.UTC)
    return [Token(id=slot_id * 100 + n, token_number=f"T{slot_id}-{n}", patient_name="P",
                  patient_phone=None, doctor_id=1, slot_id=slot_id,
                  source="online", status=rng.choice(list(TokenStatus)).value,
                  priority_score=rng.choice([10, 30, 50, 100]), sequence_number=n,
                  is_emergency=rng.random() < 0.2, is_overflow=False, allocated_at=now,
                  overtaken_count=0, version=1)
            for n in rng.sample(range(1, 60), rng.randint(1, 25))]


@pytest.mark.parametrize("seed", range(20))
async def test_the_sql_queue_is_the_contracts_queue_key(service, seed) -> None:
    rng, slot_id = random.Random(seed), next(_slot_ids)
    tokens = _random_tokens(rng, slot_id)
    async with service.runtime.sessions.begin() as session:
        session.add_all(tokens)
    expected = sorted((t for t in tokens if t.status in LIVE), key=lambda t: queue_key(
        TokenStatus(t.status), t.is_emergency, t.priority_score, t.sequence_number))

    async with service.runtime.sessions() as session:
        queued = await slot_queue(session, slot_id)

    assert [t.id for t in queued] == [t.id for t in expected]
