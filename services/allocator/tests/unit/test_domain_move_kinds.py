"""Every move says what kind it was, so management can count them without parsing reasons."""

from __future__ import annotations

from allocator.domain.transfer import transfer
from opd_contracts.vocabulary import Source

from .conftest import new_id


def test_a_reallocation_is_recorded_as_one(clinic):
    slot, later = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    token = clinic.book(slot)

    clinic.schedule.reallocate(token.id, later.id, "asked", clinic.now)

    assert clinic.schedule.changes[-1].move_kind == "reallocation"


def test_an_emergency_bump_is_recorded_as_one(clinic):
    slot, later = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    clinic.fill(slot, Source.WALK_IN)
    clinic.schedule.changes.clear()

    clinic.book(slot, Source.PRIORITY, emergency=True)

    assert [c.move_kind for c in clinic.schedule.changes] == ["emergency_bump", None]
    assert later.current_count == 1


def test_both_sides_of_a_transfer_are_recorded_as_one(make_clinic):
    mine, theirs = make_clinic(), make_clinic()
    slot, their_slot = mine.open(), theirs.open()
    token = mine.book(slot)

    transfer(mine.schedule, token.id, theirs.schedule, their_slot.id, new_id(), None, mine.now)

    assert mine.schedule.changes[-1].move_kind == theirs.schedule.changes[-1].move_kind \
        == "transfer"
