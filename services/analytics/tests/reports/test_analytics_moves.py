"""Moves are counted by the allocator's own `move_kind`, never by the words of their reason
(history from before events named it is stamped by the allocator's migration 0005), and a
transfer once, although two events tell it."""

from __future__ import annotations

import datetime as dt

from opd_contracts import EventType
from opd_contracts.vocabulary import Source, TokenStatus

DAY = dt.date(2026, 4, 7)


def moved(d, events, origin, target, reason, kind=None):
    """A token booked into `origin`, then moved to `target` by one event."""
    token = d.token(origin, Source.WALK_IN)
    after = token.model_copy(update={"slot_id": target.id, "moved_from_slot_id": origin.id,
                                     "move_reason": reason})
    events[d] += [d.allocated(token, origin), d.event(
        EventType.TOKEN_MOVED, tokens=[after], slots=[origin, target], reason=reason,
        move_kind=kind)]


def transferred(giver, taker, events, origin, target, kind=None):
    """The colleague books the patient anew; the old token is cancelled, saying where to."""
    token = giver.token(origin, Source.ONLINE)
    anew = taker.token(target, Source.ONLINE, moved_from_slot_id=origin.id,
                       move_reason=f"transferred to a colleague (was {token.token_number})")
    cancelled = token.model_copy(update={"status": TokenStatus.CANCELLED})
    events[giver] += [giver.allocated(token, origin), giver.event(
        EventType.TOKEN_STATUS_CHANGED, tokens=[cancelled], previous_status=TokenStatus.ALLOCATED,
        reason=f"transferred: now {anew.token_number}", move_kind=kind)]
    events[taker].append(taker.event(EventType.TOKEN_ALLOCATED, tokens=[anew], slots=[target],
                                     move_kind=kind))


def two_colleagues(history):
    """X moves three patients (9:00 -> 11:00) and transfers two to Y (10:00)."""
    x, y = history(), history()
    s1, s2, s3 = x.slot(DAY, 8), x.slot(DAY, 8, start=11), y.slot(DAY, 8, start=10)
    events = {x: [x.registered(), x.opened(s1), x.opened(s2)], y: [y.registered(), y.opened(s3)]}
    moved(x, events, s1, s2, "running late", kind="delay")
    moved(x, events, s1, s2, "fairness: asked by the desk", kind="reallocation")
    moved(x, events, s1, s2, "doctor delayed 120 min", kind="delay")
    transferred(x, y, events, s1, s3, kind="transfer")
    transferred(x, y, events, s1, s3, kind="transfer")
    return y.doctor, [*events[x], *events[y]]


def kind(name, moves, minutes):
    return {"kind": name, "moves": moves, "tokens": moves, "to_later_day": 0,
            "mean_minutes": float(minutes) if moves else None,
            "max_minutes": minutes if moves else None}


async def test_moves_count_by_the_allocators_kind_and_transfers_once(start_analytics, history):
    y, events = two_colleagues(history)

    async with start_analytics(batch_max=1) as service:
        await service.publish(*events)
        await service.eventually(service.facts, lambda n: n >= len(events))
        moves = (await service.get(f"/moves?from={DAY}")).json()
        of_y = (await service.get(f"/moves?from={DAY}&doctor_id={y.id}")).json()

    assert moves["kinds"] == [kind("doctor_delay", 2, 120), kind("emergency_bump", 0, 0),
                              kind("fairness", 0, 0), kind("reallocation", 1, 120),
                              kind("transfer", 2, 60)]
    # a transfer counts for the doctor who received the patient
    assert [k["moves"] for k in of_y["kinds"]] == [0, 0, 0, 0, 2]
