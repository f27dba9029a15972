"""Mapped records read and built the plain way: a token constructed with its fields written
straight into its `__dict__` (orm._construct_plainly), snapshots read from the `__dict__`
(domain/model.py), and a reply's token record validated from a snapshot. Each must give
what the ORM's instrumented ways gave."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from allocator.adapters.orm import map_domain
from allocator.adapters.repository import join_new_tokens
from allocator.domain.model import Slot, Token, snapshot
from opd_contracts import TokenRecord
from opd_contracts.vocabulary import Source, TokenStatus

NOW = dt.datetime(2030, 3, 4, 9, 30, tzinfo=dt.UTC)


def _token(**changes: object) -> Token:
    values: dict[str, object] = dict(
        id=17, token_number="DOC1-20300304-0001", patient_name="P", patient_phone="+91 1",
        doctor_id=1, slot_id=2, source=Source.ONLINE, status=TokenStatus.ALLOCATED,
        priority_score=40, sequence_number=1, allocated_at=NOW, notes="n", ticket="t")
    return Token(**{**values, **changes})  # type: ignore[arg-type]


def test_a_mapped_token_is_constructed_with_every_field_as_given_or_defaulted() -> None:
    map_domain()
    token = _token()
    assert inspect(token).transient
    assert {f.name: getattr(token, f.name) for f in fields(Token)} == {
        **{f.name: f.default for f in fields(Token)},
        "id": 17, "token_number": "DOC1-20300304-0001", "patient_name": "P",
        "patient_phone": "+91 1", "doctor_id": 1, "slot_id": 2, "source": Source.ONLINE,
        "status": TokenStatus.ALLOCATED, "priority_score": 40, "sequence_number": 1,
        "allocated_at": NOW, "notes": "n", "ticket": "t"}


def test_a_mapped_token_joins_the_session_when_added_and_its_changes_are_tracked() -> None:
    """A slot's tokens are view-only (orm.map_domain): appending one adds it to no session
    and copies none of the slot's list for history; the repository adds it (write), as
    `Session.add` would (`join_new_tokens`)."""
    map_domain()
    lane = AsyncSession()
    session = lane.sync_session
    slot = Slot(id=2, doctor_id=1, date=NOW.date(), start_time=dt.time(9),
                end_time=dt.time(10), max_capacity=5)
    session.add(slot)
    session._register_persistent({inspect(slot)})
    token = _token()
    slot.admit(token)
    assert token not in session
    assert set(inspect(slot).committed_state) == {"current_count", "last_sequence"}
    join_new_tokens(lane, [token])
    assert token in session.new and inspect(token).pending
    assert inspect(token).session_id == session.hash_key
    session._register_persistent({inspect(slot), inspect(token)})
    assert not session.new and inspect(token).persistent
    token.transition(TokenStatus.CHECKED_IN, NOW)
    assert token in session.dirty
    assert set(inspect(token).committed_state) == {"status", "checked_in_at"}
    assert inspect(token).attrs.status.history.deleted == [TokenStatus.ALLOCATED]
    session.expunge_all()


def test_a_snapshot_of_a_mapped_token_is_its_attributes_and_reads_a_missing_one() -> None:
    map_domain()
    token = _token()
    attributes = {f.name: getattr(token, f.name) for f in fields(Token)}
    assert snapshot(token) == attributes
    del token.__dict__["notes"]  # as a mapping leaves an attribute unloaded
    assert snapshot(token) == {**attributes, "notes": None}  # the attribute's answer


def test_a_token_record_from_a_snapshot_is_the_record_from_the_token() -> None:
    map_domain()
    token = _token(checked_in_at=NOW, moved_from_slot_id=3, channel="c")
    assert (TokenRecord.model_validate(snapshot(token)).model_dump_json()
            == TokenRecord.model_validate(token).model_dump_json())
