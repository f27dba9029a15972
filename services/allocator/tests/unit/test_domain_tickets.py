"""Tickets: every token gets an unguessable live-page code, and keeps it wherever it moves."""

from __future__ import annotations

from allocator.domain.transfer import transfer
from opd_contracts.vocabulary import Source

from .conftest import new_id


def test_every_booked_token_gets_its_own_long_random_ticket_in_its_event(clinic):
    slot = clinic.open(capacity=50)

    tokens = [clinic.book(slot) for _ in range(40)]

    tickets = {t.ticket for t in tokens}
    assert len(tickets) == 40
    assert all(t and len(t) >= 22 and t.isascii() for t in tickets)
    assert not any(t.token_number in (t.ticket or "") or str(t.id) == t.ticket for t in tokens)
    assert clinic.schedule.changes[-1].tokens[0]["ticket"] == tokens[-1].ticket


def test_a_token_moved_by_an_emergency_keeps_its_ticket(clinic):
    slot, later = clinic.open(capacity=1), clinic.open(start="10:00", end="11:00")
    walk_in = clinic.book(slot, Source.WALK_IN)
    ticket = walk_in.ticket

    clinic.book(slot, emergency=True)

    assert walk_in.slot_id == later.id and walk_in.ticket == ticket


def test_a_patient_transferred_to_a_colleague_keeps_the_ticket_on_the_new_token(make_clinic):
    mine, theirs = make_clinic(), make_clinic()
    slot, their_slot = mine.open(), theirs.open()
    token = mine.book(slot)

    moved = transfer(mine.schedule, token.id, theirs.schedule, their_slot.id, new_id(), None,
                     mine.now)

    assert moved.ticket == token.ticket and moved.id != token.id
