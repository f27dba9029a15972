"""The outbox's event bodies stay byte for byte what the contract's models wrote when each
record was validated apart and the envelope built from keywords (how `decide._events` built
them before it validated each event in one call): a key misspelt in that call's dict would
be ignored by pydantic, its field left at its default, and a consumer would read a
different event. Domain changes of a day's commands, and Hypothesis-made ones with every
optional detail set or not."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.adapters.batch_io import Writes
from allocator.adapters.messages import Outbox
from allocator.domain.change import Change
from allocator.domain.model import Doctor, Slot, Token, new_ticket, snapshot
from allocator.service_layer.decide import _events
from opd_contracts import (
    BookToken,
    CommandEnvelope,
    DoctorRecord,
    EventEnvelope,
    EventType,
    SlotRecord,
    TokenRecord,
)
from opd_contracts.vocabulary import MoveKind, Source, TokenStatus

from .conftest import Clinic, new_clinic

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
NOW = dt.datetime(2030, 3, 4, 8, 15, 30, 123456, tzinfo=IST)


def _envelope(actor: str | None = "key 7 (desk)") -> CommandEnvelope:
    return CommandEnvelope(command_id=uuid.uuid4(), issued_at=NOW, fingerprint="f", actor=actor,
                           command=BookToken(doctor_id=1, slot_id=1, patient_name="P",
                                             source=Source.ONLINE))


def _uow(first_seq: int = 1) -> Any:
    seqs = itertools.count(first_seq)
    return SimpleNamespace(schedules=SimpleNamespace(
        next_event_seqs=lambda _doctor_id, count: [next(seqs) for _ in range(count)]))


def _as_before(event: EventEnvelope, envelope: CommandEnvelope, doctor: Doctor,
               change: Change) -> EventEnvelope:
    """The event as `_events` built it before: each record validated apart, keywords."""
    return EventEnvelope(
        event_id=event.event_id, type=EventType(change.type), doctor_id=doctor.id,
        seq=event.seq, occurred_at=NOW, command_id=envelope.command_id, actor=envelope.actor,
        doctor=DoctorRecord.model_validate(doctor) if change.type == "doctor.registered"
        else None,
        slots=[SlotRecord.model_validate(s) for s in change.slots],
        tokens=[TokenRecord.model_validate(t) for t in change.tokens],
        previous_status=change.previous_status, reason=change.reason,
        move_kind=change.move_kind)


def _bodies_agree(doctor: Doctor, changes: list[Change], actor: str | None = "key 7 (desk)",
                  first_seq: int = 1) -> list[EventEnvelope]:
    envelope = _envelope(actor)
    events = _events(_uow(first_seq), envelope, doctor, changes, NOW)
    writes = Writes()
    Outbox(writes).add(events, 3)
    assert [row[2] for row in writes.events] == [
        _as_before(event, envelope, doctor, change).model_dump_json()
        for event, change in zip(events, changes, strict=True)]
    assert [event.seq for event in events] == list(range(first_seq, first_seq + len(changes)))
    assert len({event.event_id for event in events}) == len(events)
    return events


def _a_day(clinic: Clinic) -> list[Change]:
    """Every kind of change a day makes: slots opened and resized, bookings (fairness,
    overflow, an emergency bumping a walk-in), status changes, a move, a delay."""
    first, second = clinic.open("09:00", "10:00", capacity=2), clinic.open("10:00", "11:00")
    tomorrow = clinic.open("09:00", "10:00", day=1, capacity=3)
    walk_in = clinic.book(first, Source.WALK_IN)
    clinic.book(first, Source.PRIORITY)
    clinic.book(first, emergency=True)
    clinic.schedule.resize_slot(second.id, 3, clinic.now)
    online = clinic.book(second, Source.ONLINE)
    clinic.walk(online, TokenStatus.CHECKED_IN)
    clinic.schedule.change_status(walk_in.id, TokenStatus.CANCELLED, clinic.now)
    moved = clinic.book(second, Source.FOLLOW_UP)
    clinic.schedule.reallocate(moved.id, tomorrow.id, "the patient asked", clinic.now)
    clinic.schedule.delay(90, "surgery ran late", clinic.at("09:30"))
    return clinic.schedule.changes


def test_a_days_events_are_written_as_the_contract_models_wrote_them():
    clinic = new_clinic()
    changes = _a_day(clinic)
    events = _bodies_agree(clinic.schedule.doctor, changes, first_seq=41)
    assert {event.type for event in events} >= {
        EventType.SLOT_OPENED, EventType.SLOT_UPDATED, EventType.TOKEN_ALLOCATED,
        EventType.TOKEN_STATUS_CHANGED, EventType.TOKEN_MOVED}  # a delay moves tokens
    assert {event.move_kind for event in events} >= {MoveKind.DELAY, MoveKind.EMERGENCY_BUMP}
    assert any(event.reason for event in events)
    assert any(event.previous_status for event in events)


def test_a_doctors_registration_carries_the_doctor_and_nothing_else_does():
    clinic = new_clinic()
    registered = Change.of("doctor.registered", [], [])
    slot = clinic.open()
    events = _bodies_agree(clinic.schedule.doctor, [registered, *clinic.schedule.changes],
                           actor=None)
    assert events[0].doctor == DoctorRecord.model_validate(clinic.schedule.doctor)
    assert events[1].doctor is None and events[1].slots[0].id == slot.id


def test_a_command_without_changes_has_no_events():
    assert _events(_uow(), _envelope(), new_clinic().schedule.doctor, [], NOW) == []


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_times = st.datetimes(timezones=st.just(IST) | st.just(dt.UTC))
_maybe_time = st.none() | _times


@st.composite
def _tokens(draw: st.DrawFn) -> Token:
    return Token(
        id=draw(st.integers(1, 2**62)), token_number=draw(_text), patient_name=draw(_text),
        patient_phone=draw(st.none() | _text), doctor_id=draw(st.integers(1, 2**62)),
        slot_id=draw(st.integers(1, 2**62)), source=draw(st.sampled_from(Source)),
        status=draw(st.sampled_from(TokenStatus)), priority_score=draw(st.integers(0, 100)),
        sequence_number=draw(st.integers(1, 500)),
        allocated_at=draw(_times),
        is_emergency=draw(st.booleans()), is_overflow=draw(st.booleans()),
        checked_in_at=draw(_maybe_time), consultation_started_at=draw(_maybe_time),
        completed_at=draw(_maybe_time), closed_at=draw(_maybe_time),
        notes=draw(st.none() | _text), moved_from_slot_id=draw(st.none() | st.integers(1, 99)),
        move_reason=draw(st.none() | _text), overtaken_count=draw(st.integers(0, 50)),
        channel=draw(st.none() | _text), abha_number=draw(st.none() | st.just("91-1234-5678-9012")),
        ticket=draw(st.none() | st.builds(new_ticket)))


@st.composite
def _slots(draw: st.DrawFn) -> Slot:
    return Slot(id=draw(st.integers(1, 2**62)), doctor_id=draw(st.integers(1, 2**62)),
                date=draw(st.dates()), start_time=draw(st.times()), end_time=draw(st.times()),
                max_capacity=draw(st.integers(1, 500)), current_count=draw(st.integers(0, 600)),
                overflow_count=draw(st.integers(0, 5)), last_sequence=draw(st.integers(0, 600)),
                is_active=draw(st.booleans()))


_changes = st.builds(
    lambda kind, tokens, slots, reason, previous, move: Change.of(
        kind, tokens, slots, reason=reason, previous_status=previous, move_kind=move),
    st.sampled_from([t.value for t in EventType]), st.lists(_tokens(), max_size=3),
    st.lists(_slots(), max_size=2), st.none() | _text, st.none() | st.sampled_from(TokenStatus),
    st.none() | st.sampled_from(MoveKind))


@settings(max_examples=150, deadline=None)
@given(changes=st.lists(_changes, min_size=1, max_size=4), actor=st.none() | _text,
       first_seq=st.integers(1, 10**9))
def test_any_changes_events_are_written_as_the_contract_models_wrote_them(changes, actor,
                                                                          first_seq):
    _bodies_agree(new_clinic().schedule.doctor, changes, actor, first_seq)


def test_snapshots_keep_every_field_the_records_show():
    """What the event shows of a token and a slot is their snapshots' (the domain's)."""
    clinic = new_clinic()
    slot = clinic.open()
    token = clinic.book(slot)
    shown = _bodies_agree(clinic.schedule.doctor, clinic.schedule.changes)[-1]
    assert shown.tokens[0] == TokenRecord.model_validate(snapshot(token))
    assert shown.slots[0] == SlotRecord.model_validate(snapshot(slot))
