"""The audit trail of a token, through the real broker: every change with who, when, why and
from which request, oldest first, once each however the events arrived; never the patient."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from opd_contracts import EventType
from opd_contracts.vocabulary import Source, TokenStatus
from opd_shared.access import Role

DAY = dt.date(2026, 5, 4)
DESK, NURSE = "key:3:OPD desk", "key:5:Ward 2 nurse"
QUARTER = dt.timedelta(minutes=15)
ST = TokenStatus


def a_token_with_a_past(history):
    """Booked at the desk, checked in and moved by a nurse (a doctor's delay), then seen."""
    d = history()
    early, late = d.slot(DAY, capacity=4), d.slot(DAY, capacity=4, start=11)
    token, other = d.token(early, Source.WALK_IN), d.token(early, Source.ONLINE)
    requests = [uuid.uuid4() for _ in range(4)]
    said = {"actor": NURSE}
    events = [d.registered(), d.opened(early), d.opened(late),
              d.event(EventType.TOKEN_ALLOCATED, tokens=[token], slots=[early], actor=DESK,
                      command_id=requests[0]),
              d.allocated(other, early)]
    token, checked_in = d.changed(token, ST.CHECKED_IN)
    token = token.model_copy(update={"slot_id": late.id, "moved_from_slot_id": early.id})
    moved = d.event(EventType.TOKEN_MOVED, tokens=[token], slots=[early, late], **said,
                    command_id=requests[2], reason="doctor delayed 90 min: surgery",
                    move_kind="delay")
    token, consulting = d.changed(token, ST.CONSULTING)
    events += [checked_in.model_copy(update={**said, "command_id": requests[1]}), moved,
               consulting.model_copy(update={**said, "command_id": requests[3]})]
    # a quarter of an hour apart, so that "when" is each event's own time
    events = [e.model_copy(update={"occurred_at": e.occurred_at + e.seq * QUARTER})
              for e in events]
    return token, early, late, requests, events


def entry(event, type, to, slot, frm=None, reason=None):
    at = event.occurred_at.isoformat().replace("+00:00", "Z")
    return {"event_id": str(event.event_id), "type": type, "at": at,
            "actor": event.actor, "request_id": str(event.command_id) if event.command_id
            else None, "reason": reason, "from_status": frm, "to_status": to,
            "slot_id": slot.id, "sequence": event.seq}


async def test_a_tokens_history_lists_each_change_once_in_order(start_analytics, history):
    token, early, late, requests, events = a_token_with_a_past(history)
    booked, checked_in, moved, consulting = events[3], events[5], events[6], events[7]
    # newest first, and the move delivered twice
    delivered = [*reversed(events), moved]

    async with start_analytics() as service:
        await service.publish(*delivered)
        await service.eventually(service.facts, lambda n: n >= len(events))
        by_id = await service.get(f"/tokens/{token.id}/history")
        by_number = await service.get(f"/tokens/number/{token.token_number}/history")

    assert by_id.status_code == by_number.status_code == 200
    assert by_id.json() == by_number.json() == [
        entry(booked, "token.allocated", "allocated", early),
        entry(checked_in, "token.status_changed", "checked_in", early, frm="allocated"),
        entry(moved, "token.moved", "checked_in", late, frm="checked_in",
              reason="doctor delayed 90 min: surgery"),
        entry(consulting, "token.status_changed", "consulting", late, frm="checked_in"),
    ]
    assert [e["request_id"] for e in by_id.json()] == [str(r) for r in requests]
    assert by_id.json()[0]["at"] == "2026-01-30T09:00:00Z"  # seq 4, an hour after 08:00
    assert token.patient_name not in by_id.text and token.patient_phone not in by_id.text


async def test_an_unknown_token_is_404_and_a_malformed_number_422(start_analytics, history):
    d = history()
    never = d.token(d.slot(DAY, capacity=1), Source.WALK_IN)  # never published

    async with start_analytics() as service:
        by_id = await service.get(f"/tokens/{never.id}/history")
        by_number = await service.get(f"/tokens/number/{never.token_number}/history")
        malformed = await service.get("/tokens/number/DOC1-2026-1/history")

    assert (by_id.status_code, by_id.json()["detail"], by_id.json()["code"]) == (
        404, f"Token {never.id} not found", "not_found")
    assert (by_number.status_code, by_number.json()["code"]) == (404, "not_found")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "validation_error")


@pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.DESK, 403),
                                              (Role.ONLINE, 403), (Role.STAFF, 404)])
async def test_only_keys_that_read_analytics_see_a_history(start_analytics, role, status):
    async with start_analytics(headers={}) as service:
        if role is not None:
            _, key = await service.app.state.guard.store.create(f"a {role} key", role)
            service.client.headers["Authorization"] = f"Bearer {key}"
        answer = await service.get("/tokens/1/history")

    assert (answer.status_code, answer.json()["code"]) == (
        status, {401: "unauthorized", 403: "forbidden", 404: "not_found"}[status])
