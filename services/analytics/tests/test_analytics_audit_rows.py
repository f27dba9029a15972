"""The audit trail written with the facts, from their payloads, says what each event says:
one row per (event, token), the token's last snapshot when an event carries it twice, who
asked, from which request, why, and the status before (issue #13 moved this from Python
rows into the facts' statement)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from analytics.audit import TokenChange
from analytics.projections import apply_events
from opd_contracts import EventEnvelope, EventType
from opd_contracts.vocabulary import MoveKind, Source, TokenStatus

DAY = dt.date(2026, 3, 10)
ZONE = ZoneInfo("Asia/Kolkata")
COLUMNS = [c.name for c in TokenChange.__table__.columns]


def audit_rows(event: EventEnvelope) -> list[dict[str, Any]]:
    """What the trail must hold for `event`, in Python: per token (its last snapshot), the
    status before is the event's `previous_status`, else a move's own status, else none."""
    def before(status: str) -> str | None:
        if event.previous_status is not None:
            return event.previous_status.value
        return status if event.type is EventType.TOKEN_MOVED else None

    return list({token.id: {
        "token_id": token.id, "event_id": event.event_id, "seq": event.seq,
        "doctor_id": event.doctor_id, "type": event.type.value, "occurred_at": event.occurred_at,
        "actor": event.actor, "command_id": event.command_id, "reason": event.reason,
        "from_status": before(token.status.value), "to_status": token.status.value,
        "slot_id": token.slot_id,
    } for token in event.tokens}.values())


def a_token_s_morning(history: Any) -> list[EventEnvelope]:
    d = history()
    first, second = d.slot(DAY, capacity=5), d.slot(DAY, capacity=5, start=11)
    token, other = d.token(first, Source.ONLINE), d.token(first, Source.WALK_IN)
    checked_in = token.model_copy(update={"status": TokenStatus.CHECKED_IN})
    moved = checked_in.model_copy(update={"slot_id": second.id, "moved_from_slot_id": first.id})
    asked = {"actor": "key:7:front desk", "command_id": uuid.uuid4()}
    return [
        d.opened(first),
        d.event(EventType.TOKEN_ALLOCATED, tokens=[token, other], slots=[first], **asked),
        # the same token twice, changed in between: its last snapshot counts
        d.event(EventType.TOKEN_STATUS_CHANGED, tokens=[token, checked_in], **asked,
                previous_status=TokenStatus.ALLOCATED),
        d.event(EventType.TOKEN_MOVED, tokens=[moved], move_kind=MoveKind.DELAY,
                reason="doctor delayed 30 min", slots=[first, second]),
    ]


async def test_each_event_leaves_the_audit_rows_it_says(sessions, history):
    events = a_token_s_morning(history)

    first = await apply_events(sessions, events[:2], ZONE)
    again = await apply_events(sessions, events, ZONE)  # two of them a second time

    async with sessions() as session:
        found = [dict(row) for row in (await session.execute(
            select(TokenChange.__table__))).mappings()]
    expected = [row for event in events for row in audit_rows(event)]
    key = lambda row: (row["token_id"], row["seq"])  # noqa: E731
    assert (first, again) == ([True, True], [False, False, True, True])
    assert sorted(found, key=key) == sorted(expected, key=key)
    assert {row["from_status"] for row in found} == {None, "allocated", "checked_in"}
