"""The roll-ups kept event by event equal the roll-ups computed from scratch from the final
rows, however the events arrived: what makes the reports (and the benchmark's bulk load,
which computes them from scratch) trustworthy."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from analytics.projections import apply_event
from analytics.rollups import MOVE_KINDS, move_kind, rollups_of
from analytics.tables import Slot, Token
from opd_contracts import EventType
from opd_contracts.vocabulary import MoveKind, Source, TokenStatus

ZONE = ZoneInfo("Asia/Kolkata")


async def test_kept_rollups_equal_rollups_from_scratch(sessions, hospital_day, rollup_counts):
    *_, delivered, _ = hospital_day

    applied = [await apply_event(sessions, event, ZONE) for event in delivered]

    async with sessions() as session:
        kept = await rollup_counts(session)
        tokens = (await session.execute(select(Token.__table__))).mappings().all()
        slots = (await session.execute(select(Slot.__table__))).mappings().all()
    assert applied.count(False) == 8  # the redeliveries: four per doctor
    assert kept == rollups_of(tokens, slots, ZONE)
    assert sum(n for (name, _, column), n in kept.items() if name == "daily_tokens"
               and column not in {"emergencies", "overflows"}) == len(tokens) == 10
    # each doctor registered after their tokens arrived (shuffled), and took them along:
    # four seen tokens' four waits, and one that checked in (tests/reports/conftest.py)
    assert waits_of(kept, "specialty_waits") == waits_of(kept, "daily_waits") == 4 * 4 + 1


def waits_of(kept: Counter, table: str) -> int:
    return sum(n for (name, _, _), n in kept.items() if name == table)


async def test_a_doctor_who_changes_specialization_takes_their_waits_along(
    sessions, history, rollup_counts
):
    d = history()
    slot = d.slot(dt.date(2026, 2, 10), capacity=2)
    token = d.token(slot, Source.WALK_IN)
    events = [d.registered(), d.opened(slot), d.allocated(token, slot)]
    arrived = token.model_copy(update={"checked_in_at": token.allocated_at})
    events += [d.changed(arrived, TokenStatus.CHECKED_IN)[1]]
    renamed = d.doctor.model_copy(update={"specialization": "Neurology"})
    events += [d.event(EventType.DOCTOR_REGISTERED, doctor=renamed)]

    for event in events:
        await apply_event(sessions, event, ZONE)

    async with sessions() as session:
        kept = await rollup_counts(session)
        tokens = (await session.execute(select(Token.__table__))).mappings().all()
        slots = (await session.execute(select(Slot.__table__))).mappings().all()
    assert kept == rollups_of(tokens, slots, ZONE)
    assert {key[0] for name, key, _ in kept if name == "specialty_waits"} == {"Neurology"}


@pytest.mark.parametrize(("named", "kind"), [
    (MoveKind.DELAY, "doctor_delay"),
    (MoveKind.EMERGENCY_BUMP, "emergency_bump"),
    (MoveKind.FAIRNESS, "fairness"),
    (MoveKind.REALLOCATION, "reallocation"),
    (MoveKind.TRANSFER, "transfer"),
])
def test_a_move_is_counted_by_the_allocators_own_kind(named, kind):
    assert move_kind(named) == kind


def test_every_kind_the_allocator_names_has_a_row_in_the_moves_report():
    assert sorted(move_kind(kind) for kind in MoveKind) == sorted(MOVE_KINDS)
