"""Reading messages and riding out a database outage, without broker or database."""

from __future__ import annotations

import logging

import pytest
from faststream.exceptions import RejectMessage
from sqlalchemy.exc import IntegrityError

from analytics.events import apply_patiently, parse_event


def test_an_event_round_trips_through_its_json(history):
    event = history().registered()

    parsed = parse_event(event.model_dump_json().encode(), "m-1")

    assert parsed == event


@pytest.mark.parametrize("body", [b"not json", b'{"type": "token.allocated"}', b"[]"])
def test_a_body_that_is_not_an_event_is_rejected_and_logged(body, caplog):
    caplog.set_level(logging.WARNING, logger="analytics")

    with pytest.raises(RejectMessage) as rejected:
        parse_event(body, "m-bad")

    assert rejected.value.extra_options == {"requeue": False}
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["rejected message m-bad"]


async def test_an_unreachable_database_is_waited_for(history, monkeypatch):
    monkeypatch.setattr("analytics.events.FIRST_PAUSE", 0.001)
    outcomes: list[Exception | bool] = [ConnectionRefusedError(), TimeoutError(), True]

    async def apply() -> bool:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    applied = await apply_patiently(apply, history().registered(), max_pause=0.01)

    assert (applied, outcomes) == (True, [])


async def test_a_database_that_refuses_the_event_is_not_retried(history):
    calls = 0

    async def apply() -> bool:
        nonlocal calls
        calls += 1
        raise IntegrityError("INSERT", {}, Exception("refused"))

    with pytest.raises(IntegrityError):
        await apply_patiently(apply, history().registered(), max_pause=0.01)

    assert calls == 1
