"""The projection on a real database: applied once, latest snapshot wins, gaps visible."""

from __future__ import annotations

from opd_shared.contracts import EventType
from opd_shared.vocabulary import TokenStatus
from queue_view.models import DoctorProgress, Slot, Token
from queue_view.projection import apply_event


async def _apply(sessions, event) -> bool:
    async with sessions.begin() as session:
        return await apply_event(session, event)


async def _load(sessions, model, key):
    async with sessions() as session:
        return await session.get(model, key)


async def test_an_event_applied_twice_changes_nothing_the_second_time(sessions, events) -> None:
    slot = events.slot()
    opened = events.event(EventType.SLOT_OPENED, slots=[slot])
    await _apply(sessions, opened)

    again = await _apply(sessions, opened)

    assert again is False
    progress = await _load(sessions, DoctorProgress, events.doctor_id)
    assert (progress.max_seq, progress.applied_count) == (1, 1)


async def test_an_older_snapshot_never_overwrites_a_newer_one(sessions, events) -> None:
    slot = events.slot()
    token = events.token(slot)
    allocated = events.event(EventType.TOKEN_ALLOCATED, tokens=[token],
                             slots=[slot.model_copy(update={"current_count": 1})])
    checked_in = events.event(EventType.TOKEN_STATUS_CHANGED,
                              tokens=[token.model_copy(update={"status": TokenStatus.CHECKED_IN})])

    await _apply(sessions, checked_in)
    await _apply(sessions, allocated)

    stored = await _load(sessions, Token, token.id)
    assert (stored.status, stored.version) == ("checked_in", 2)
    stored_slot = await _load(sessions, Slot, slot.id)
    assert (stored_slot.current_count, stored_slot.version) == (1, 1)


async def test_a_missing_event_shows_as_fewer_applied_than_the_highest_seq(
    sessions, events
) -> None:
    first, _lost, third = (events.event(EventType.SLOT_OPENED, slots=[events.slot()])
                           for _ in range(3))

    await _apply(sessions, first)
    await _apply(sessions, third)

    progress = await _load(sessions, DoctorProgress, events.doctor_id)
    assert (progress.max_seq, progress.applied_count) == (3, 2)


async def test_one_event_may_carry_the_same_record_twice_and_the_last_copy_wins(
    sessions, events
) -> None:
    slot = events.slot()
    token = events.token(slot)
    moved = token.model_copy(update={"status": TokenStatus.CONSULTING})
    event = events.event(EventType.TOKEN_MOVED, tokens=[token, moved])

    await _apply(sessions, event)

    stored = await _load(sessions, Token, token.id)
    assert stored.status == "consulting"
