"""The queue is a total order: the same tokens give the same queue, however they were loaded."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.domain.model import Token
from allocator.domain.priority import priority_score, queue_order
from opd_contracts.vocabulary import Source, TokenStatus

NOW = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
ROUTE = {
    TokenStatus.ALLOCATED: (), TokenStatus.CHECKED_IN: (TokenStatus.CHECKED_IN,),
    TokenStatus.CONSULTING: (TokenStatus.CHECKED_IN, TokenStatus.CONSULTING),
    TokenStatus.COMPLETED: (TokenStatus.CHECKED_IN, TokenStatus.CONSULTING,
                            TokenStatus.COMPLETED),
    TokenStatus.CANCELLED: (TokenStatus.CANCELLED,), TokenStatus.NO_SHOW: (TokenStatus.NO_SHOW,),
}
LIVE = {TokenStatus.ALLOCATED, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING}
specs = st.lists(st.tuples(st.sampled_from(Source), st.booleans(), st.sampled_from(TokenStatus)),
                 max_size=12)


def _token(sequence: int, source: Source, emergency: bool, status: TokenStatus) -> Token:
    token = Token(id=sequence, token_number=f"DOC1-20300304-{sequence:04d}", patient_name="P",
                  patient_phone=None, doctor_id=1, slot_id=1, source=source,
                  status=TokenStatus.ALLOCATED, priority_score=priority_score(source),
                  sequence_number=sequence, allocated_at=NOW, is_emergency=emergency)
    for step in ROUTE[status]:
        token.transition(step, NOW)
    return token


@settings(max_examples=100, database=None)
@given(specs, st.data())
def test_the_queue_does_not_depend_on_the_order_tokens_were_loaded(specs, data):
    tokens = [_token(n, *spec) for n, spec in enumerate(specs, 1)]
    shuffled = data.draw(st.permutations(tokens))

    order = queue_order(shuffled)

    assert order == queue_order(tokens)


@settings(max_examples=100, database=None)
@given(specs)
def test_consulting_then_emergencies_then_score_then_arrival(specs):
    tokens = [_token(n, *spec) for n, spec in enumerate(specs, 1)]

    order = queue_order(tokens)

    keys = [(t.status is not TokenStatus.CONSULTING, not t.is_emergency, -t.priority_score,
             t.sequence_number) for t in order]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {t.id for t in order} == {t.id for t in tokens if t.status in LIVE}
