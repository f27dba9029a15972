"""Apply one event to analytics' tables, in one transaction: record the fact and the audit
trail, upsert the snapshots it carries, record the moves it made, and add the roll-up deltas.

Applying is idempotent (the fact's key turns a redelivery into a no-op) and order-independent
(a snapshot only replaces one written by an older `seq` of the same doctor, and the roll-ups
follow the rows they count).
"""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.audit import record_changes
from analytics.doctor_state import project_doctor
from analytics.rollup_store import apply_delta
from analytics.rollup_tables import TokenMove
from analytics.rollups import Delta, move_kind
from analytics.state import project_slots, project_tokens, slot_starts
from analytics.tables import EventFact
from opd_shared.contracts import EventEnvelope, EventType, TokenRecord

__all__ = ["apply_event"]

# Management figures need no patient identities, so the fact table never stores them.
_PERSONAL = {"patient_name", "patient_phone"}
_DOCTOR_LOCKS = 7301  # the advisory-lock class of "one doctor's events"


async def apply_event(
    sessions: async_sessionmaker[AsyncSession], event: EventEnvelope, zone: ZoneInfo
) -> bool:
    """Apply one event in one transaction; False when it had been applied before."""
    async with sessions.begin() as session:
        if not await _record_fact(session, event):
            return False
        await record_changes(session, event)
        # Deltas read the rows they replace: one doctor's events apply one at a time.
        lock = func.pg_advisory_xact_lock(_DOCTOR_LOCKS, event.doctor_id % 2**31)
        await session.execute(select(lock))
        changes: Delta = Counter()
        if event.doctor is not None:
            changes.update(await project_doctor(session, event.doctor, event.seq, zone))
        changes.update(await project_slots(session, event.slots, event.seq, zone))
        changes.update(await project_tokens(session, event.tokens, event.slots, event.seq, zone))
        await apply_delta(session, changes)
        await _record_moves(session, event, zone)
    return True


async def _record_fact(session: AsyncSession, event: EventEnvelope) -> bool:
    payload = event.model_dump(mode="json", exclude={"tokens": {"__all__": _PERSONAL}})
    statement = (
        insert(EventFact)
        .values(event_id=event.event_id, type=event.type.value, doctor_id=event.doctor_id,
                seq=event.seq, occurred_at=event.occurred_at, payload=payload)
        .on_conflict_do_nothing(index_elements=[EventFact.event_id])
        .returning(EventFact.event_id)
    )
    return (await session.execute(statement)).first() is not None


def _moved(event: EventEnvelope) -> tuple[list[TokenRecord], str | None]:
    """The tokens this event moved, and the allocator's word for why (None in old events).

    A transfer books the patient anew with a colleague, noting the slot they left: it counts
    on that booking, not on the old token's cancellation (the same move, told twice).
    """
    tokens = [t for t in event.tokens if t.moved_from_slot_id is not None]
    if event.type is EventType.TOKEN_MOVED:
        return tokens, event.move_kind
    if event.type is EventType.TOKEN_ALLOCATED and event.move_kind in (None, "transfer"):
        return tokens, "transfer"
    return [], None


async def _record_moves(session: AsyncSession, event: EventEnvelope, zone: ZoneInfo) -> None:
    """How far each moved token went: from its old slot's start to its new slot's start."""
    moved, named = _moved(event)
    if not moved:
        return
    ids = {t.slot_id for t in moved} | {t.moved_from_slot_id for t in moved}
    starts = await slot_starts(session, {i for i in ids if i is not None}, event.slots)
    for token in moved:
        origin, target = starts.get(token.moved_from_slot_id or 0), starts.get(token.slot_id)
        reason = token.move_reason or event.reason
        known = origin is not None and target is not None
        await session.execute(insert(TokenMove).values(
            event_id=event.event_id, token_id=token.id, doctor_id=token.doctor_id,
            day=origin.date() if origin else event.occurred_at.astimezone(zone).date(),
            source=token.source.value, kind=move_kind(reason, named), reason=reason,
            from_slot_id=token.moved_from_slot_id, to_slot_id=token.slot_id,
            minutes=round((target - origin).total_seconds() / 60) if known else None,
            to_later_day=known and target.date() > origin.date(),
        ).on_conflict_do_nothing())
