"""Deciding `near` asks `notifications` only about the queue's head tokens not marked as told
there (`tokens.near_told_slot`, migration 0004, issue #13): the queue-heads statement probed
its unique key for every waiting head token, ~510 probes a batch of 34 slots, to find about
one new `near`. The mark is written with the notification, a newer snapshot of the token
keeps it, and a token not yet told is still found."""

from __future__ import annotations

from sqlalchemy import select, text

from notifier.heads import heads_not_told
from notifier.models import Notification
from notifier.projection import Notifying, apply_events
from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from opd_shared.readmodel.driver import batch_transaction

from .conftest import at

# This transaction's scans of the index (each probe one).
_PROBES = text("SELECT pg_stat_get_xact_numscans('uq_notifications_token_id'::regclass)")


async def test_heads_told_near_are_not_looked_up_again_and_the_next_one_is_told(
    notifier, hall
) -> None:
    sessions = notifier.app.state.runtime.sessions
    notifying = Notifying(notifier.settings, frozenset({"web-app"}), sms=False)
    slot = hall.slot()
    booked = [hall.token(slot) for _ in range(5)]
    booked[0] = booked[0].model_copy(update={"status": TokenStatus.CONSULTING})
    story = [  # two ahead allowed, ten minutes a place: the places 1 and 2 are near
        [hall.event(EventType.TOKEN_ALLOCATED, doctor=hall.doctor(), tokens=booked,
                    slots=[slot.model_copy(update={"current_count": 5})])],
        # The slot touched again: a booking behind, and a newer snapshot of a told token.
        [hall.event(EventType.TOKEN_ALLOCATED, tokens=[hall.token(slot)],
                    slots=[slot.model_copy(update={"current_count": 6})]),
         hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
             booked[1].model_copy(update={"status": TokenStatus.CHECKED_IN})])],
    ]
    for batch in story:
        async with batch_transaction(sessions) as connection:
            await apply_events(connection, batch, notifying, at("09:05"))

    async with sessions() as session, session.begin():
        driver = (await (await session.connection()).get_raw_connection()).driver_connection
        before = await session.scalar(_PROBES) or 0
        heads = await heads_not_told(driver, {slot.id: 3})
        probes = (await session.scalar(_PROBES) or 0) - before

    # The next patient goes in: the fourth token is now two places from the door.
    async with batch_transaction(sessions) as connection:
        await apply_events(connection, [hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
            booked[0].model_copy(update={"status": TokenStatus.COMPLETED}),
            booked[1].model_copy(update={"status": TokenStatus.CONSULTING})])],
            notifying, at("09:15"))
    async with sessions() as session:
        told = (await session.execute(select(Notification.token_id, Notification.rule).where(
            Notification.token_id.in_([t.id for t in booked])).order_by(
            Notification.id))).all()

    assert (list(heads), probes) == ([], 0)
    assert told == [(booked[1].id, f"near:{slot.id}"), (booked[2].id, f"near:{slot.id}"),
                    (booked[1].id, "called"), (booked[3].id, f"near:{slot.id}")]
