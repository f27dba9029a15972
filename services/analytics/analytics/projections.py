"""Apply events to analytics' tables, many in one transaction: record the facts and the audit
trail, upsert the snapshots they carry, record the moves they made, and add the roll-up
deltas.

Applying is idempotent (the fact's key turns a redelivery into a no-op) and order-independent
(a snapshot only replaces one written by an older `seq` of the same doctor, and the roll-ups
follow the rows they count). A batch leaves exactly the tables that applying its events one
at a time, in its order, would: `state.State` applies them in memory by the same rules, and
the batch pays one statement per table instead of some ten per event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg import Connection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.rollups import move_kind
from analytics.state import State, load_state
from opd_contracts import EventEnvelope, EventType, TokenRecord
from opd_contracts.vocabulary import MoveKind
from opd_shared.readmodel import claim
from opd_shared.readmodel.driver import Statement, batch_transaction

__all__ = ["apply_event", "apply_events"]

# Management figures need no patient identities, so the fact table never stores them (notes
# are free text that may name the patient; the ticket opens the patient's live page).
_PERSONAL = {"patient_name", "patient_phone", "notes", "abha_number", "ticket"}
_WITHOUT_PATIENTS = {"tokens": {"__all__": _PERSONAL}}
_DOCTOR_LOCKS = 7301  # the advisory-lock class of "one doctor's events"

# One statement for the whole batch, whatever its size: the payloads as one array, not a
# VALUES list. The facts that went in are the events nobody applied before, and only theirs
# get audit rows: one per token (the same token twice: its last snapshot), read from the
# fact's payload as migration 0003 did (tests/test_analytics_audit_rows.py holds the rule in
# Python). The key columns come from the payload too (its times carry their offset), so the
# batch sends one array instead of eighteen (asyncpg encodes every element of every array,
# issue #13). Last, the fresh events' doctors' locks (`locked`, read from all of `fresh`
# and sorted: after every insert, in ascending order), which were a statement of their own:
# one execution less a batch, whose SQLAlchemy and asyncpg work cost this process 6-10 µs an
# event (`apply_cost.py`).
_RECORD_FACTS = Statement.of(text(f"""
WITH fresh AS (
    INSERT INTO event_facts (event_id, type, doctor_id, seq, occurred_at, payload)
    SELECT (p->>'event_id')::uuid, p->>'type', (p->>'doctor_id')::bigint, (p->>'seq')::bigint,
           (p->>'occurred_at')::timestamptz, p
    FROM unnest(CAST(:payloads AS jsonb[])) AS f(p)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, type, doctor_id, seq, occurred_at, payload
), history AS (
    INSERT INTO token_history (token_id, event_id, seq, doctor_id, type, occurred_at, actor,
                               command_id, reason, from_status, to_status, slot_id)
    SELECT DISTINCT ON (f.event_id, (t->>'id')::bigint)
           (t->>'id')::bigint, f.event_id, f.seq, f.doctor_id, f.type, f.occurred_at,
           f.payload->>'actor', (f.payload->>'command_id')::uuid, f.payload->>'reason',
           COALESCE(f.payload->>'previous_status',
                    CASE WHEN f.type = 'token.moved' THEN t->>'status' END),
           t->>'status', (t->>'slot_id')::bigint
    FROM fresh AS f
    CROSS JOIN LATERAL jsonb_array_elements(f.payload->'tokens') WITH ORDINALITY AS e(t, n)
    ORDER BY f.event_id, (t->>'id')::bigint, n DESC
    ON CONFLICT DO NOTHING
), locked AS (
    SELECT pg_advisory_xact_lock({_DOCTOR_LOCKS}, k)
    FROM (SELECT DISTINCT (doctor_id % 2147483648)::integer AS k FROM fresh ORDER BY k) AS d
)
SELECT event_id FROM fresh WHERE (SELECT count(*) FROM locked) >= 0
"""))


async def apply_events(
    sessions: async_sessionmaker[AsyncSession], events: Sequence[EventEnvelope], zone: ZoneInfo
) -> list[bool]:
    """Apply the events in one transaction, as if one by one in this order. Per event, whether
    it was applied now: False for one applied before, and for a second copy in the batch."""
    if not events:
        return []
    # On the asyncpg connection (`opd_shared.readmodel.driver`): SQLAlchemy's layers around
    # this transaction's five round trips cost more CPU than the statements themselves.
    async with batch_transaction(sessions) as connection:
        claimed = await claim(events, lambda batch: _record_facts(connection, batch))
        if applied := claimed.fresh:  # their doctors locked
            state = await load_state(connection, applied, zone)
            moves = []
            for event in applied:
                state.apply(event)
                moves += _moves(event, state, zone)  # where slots start as of this event
            await state.write(connection, moves)
    return claimed.answers


async def apply_event(
    sessions: async_sessionmaker[AsyncSession], event: EventEnvelope, zone: ZoneInfo
) -> bool:
    """Apply one event in one transaction; False when it had been applied before."""
    return (await apply_events(sessions, [event], zone))[0]


async def _record_facts(connection: Connection, events: list[EventEnvelope]
                        ) -> set[uuid.UUID]:
    """The events' ids that were not in the fact table yet (`claim` gives them in id order:
    two replicas whose batches share events wait for each other in one order), and their
    audit rows; then their doctors' locks.

    Deltas read the rows they replace: one doctor's events apply one transaction at a time.
    The locks come after every insert, in ascending order of doctor, so that two batches
    never wait for each other in a circle."""
    rows = await _RECORD_FACTS.fetch(connection, {"payloads": [
        event.model_dump_json(exclude=_WITHOUT_PATIENTS) for event in events]})
    return {row["event_id"] for row in rows}


def _moved(event: EventEnvelope) -> tuple[list[TokenRecord], MoveKind | None]:
    """The tokens this event moved, and the allocator's word for why.

    A transfer books the patient anew with a colleague, noting the slot they left: it counts
    on that booking, not on the old token's cancellation (the same move, told twice).
    """
    tokens = [t for t in event.tokens if t.moved_from_slot_id is not None]
    if event.type is EventType.TOKEN_MOVED:
        return tokens, event.move_kind
    if event.type is EventType.TOKEN_ALLOCATED and event.move_kind is MoveKind.TRANSFER:
        return tokens, MoveKind.TRANSFER
    return [], None


def _moves(event: EventEnvelope, state: State, zone: ZoneInfo) -> list[dict[str, Any]]:
    """How far each moved token went: from its old slot's start to its new slot's start."""
    moved, named = _moved(event)
    rows = []
    for token in moved:
        origin = state.slot_start(token.moved_from_slot_id or 0, event.slots)
        target = state.slot_start(token.slot_id, event.slots)
        reason = token.move_reason or event.reason
        minutes, to_later_day = _how_far(origin, target)
        rows.append({
            "event_id": event.event_id, "token_id": token.id, "doctor_id": token.doctor_id,
            "day": origin.date() if origin else event.occurred_at.astimezone(zone).date(),
            "source": token.source.value, "kind": move_kind(named), "reason": reason,
            "from_slot_id": token.moved_from_slot_id, "to_slot_id": token.slot_id,
            "minutes": minutes, "to_later_day": to_later_day,
        })
    return rows


def _how_far(origin: dt.datetime | None, target: dt.datetime | None) -> tuple[int | None, bool]:
    """Minutes from one slot's start to the other's, and whether to a later day (unknown:
    None, and not counted as a later day)."""
    if origin is None or target is None:
        return None, False
    return round((target - origin).total_seconds() / 60), target.date() > origin.date()
