"""What a full slot offers instead, through a story of rounds: the doctor's own slots first,
then colleagues' of the same specialization with room, soonest first, each as it stands
when the refusal is decided; colleagues' slots are read once a round (adapters/repository),
so a slot this round filled is shown as filled, and one a cancellation freed in the same
round is offered from the next round on."""

from __future__ import annotations

import datetime as dt
import uuid

from opd_contracts import BookToken, CancelToken, ErrorCode, OpenSlot, Reply

from .desk import envelope


async def _slot(desk, doctor: int, start: int, capacity: int) -> dict:  # type: ignore[no-untyped-def]
    return (await desk.decide(OpenSlot(
        doctor_id=doctor, date=desk.tomorrow, start_time=dt.time(start),
        end_time=dt.time(start + 1), max_capacity=capacity))).result


def _as_offered(slot: dict, count: int) -> dict:
    """The slot's record as a refusal shows it with `count` places taken."""
    return {**slot, "current_count": count, "is_full": count >= slot["max_capacity"],
            "available_capacity": max(slot["max_capacity"] - count, 0)}


def _offered(reply: Reply) -> list[dict]:
    assert reply.code == ErrorCode.SLOT_FULL, reply
    return [s.model_dump(mode="json") for s in reply.alternatives]


async def test_a_full_slot_offers_each_slot_as_it_stands_across_rounds(desk):
    specialization = f"Story {uuid.uuid4().hex[:8]}"  # no other test's slots among these
    mine = await desk.doctor(partition=1, specialization=specialization)
    theirs = await desk.doctor(partition=1, specialization=specialization)  # same rounds
    apart = await desk.doctor(partition=2, specialization=specialization)  # other rounds
    full = await _slot(desk, mine, 9, capacity=1)
    later = await _slot(desk, mine, 10, capacity=2)
    early = await _slot(desk, theirs, 8, capacity=2)
    late = await _slot(desk, apart, 11, capacity=3)
    assert (await desk.decide(desk.booking(full))).ok

    def refused() -> object:
        return envelope(desk.booking(full, "Refused"))

    # A round alone: colleagues' slots read for it, none taken.
    [first] = await desk.batch(refused())
    assert _offered(first) == [_as_offered(later, 0), _as_offered(early, 0),
                               _as_offered(late, 0)]

    # A colleague's bookings earlier in the same round show in the offer: the slot with one
    # place taken, then, filled, no longer offered.
    one, second, two, third = await desk.batch(
        envelope(desk.booking(early, "Early 1")), refused(),
        envelope(desk.booking(early, "Early 2")), refused())
    assert one.ok and two.ok
    assert _offered(second) == [_as_offered(later, 0), _as_offered(early, 1),
                                _as_offered(late, 0)]
    assert _offered(third) == [_as_offered(later, 0), _as_offered(late, 0)]

    # The next round reads colleagues' slots again: another lane's booking shows.
    assert (await desk.decide(desk.booking(late, "Late 1"))).ok
    [fourth] = await desk.batch(refused())
    assert _offered(fourth) == [_as_offered(later, 0), _as_offered(late, 1)]

    # A cancellation frees a place: a round fenced from its start (a token's command) reads
    # colleagues' slots as committed before it, so the place is offered from the next round.
    cancelled, fifth = await desk.batch(
        envelope(CancelToken(token_id=two.result["id"], reason="story")), refused())
    assert cancelled.ok
    assert _offered(fifth) == [_as_offered(later, 0), _as_offered(late, 1)]
    [sixth] = await desk.batch(refused())
    assert _offered(sixth) == [_as_offered(later, 0), _as_offered(early, 1),
                               _as_offered(late, 1)]

    # The doctor's own later slot, taken in this round, is shown as it stands now.
    own, seventh = await desk.batch(envelope(BookToken(
        doctor_id=mine, slot_id=later["id"], patient_name="Own", source="walk_in")), refused())
    assert own.ok
    assert _offered(seventh) == [_as_offered(later, 1), _as_offered(early, 1),
                                 _as_offered(late, 1)]
