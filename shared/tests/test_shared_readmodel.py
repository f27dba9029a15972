"""The read-model kit's rules in memory: which snapshot wins, and which copy of an event
counts. (Both read models' projection tests run the same rules against PostgreSQL.)"""

from __future__ import annotations

import datetime as dt
import uuid

from opd_contracts import EventEnvelope, EventType
from opd_contracts.vocabulary import Source
from opd_shared.readmodel import claim, newest
from opd_shared.testing import DoctorEvents

NOW = dt.datetime(2030, 1, 15, 8, 0, tzinfo=dt.UTC)


def test_the_newest_snapshot_of_a_record_wins_whatever_the_order() -> None:
    doctor = DoctorEvents(1, NOW)
    first, second = doctor.slot_record(20), doctor.slot_record(10)
    filled = first.model_copy(update={"current_count": 3})

    found = newest([(filled, 5), (second, 1), (first, 2)])

    assert found == [(second, 1), (filled, 5)]  # ascending ids: the lock order


def test_of_two_snapshots_at_one_version_the_later_wins() -> None:
    doctor = DoctorEvents(1, NOW)
    slot = doctor.slot_record(10)
    token = doctor.token_record(slot, Source.ONLINE, 1)
    moved = token.model_copy(update={"slot_id": 11})

    assert newest([(token, 4), (moved, 4)]) == [(moved, 4)]


async def test_a_claim_offers_each_event_once_in_id_order_and_counts_only_the_first_copy(
) -> None:
    doctor = DoctorEvents(1, NOW)
    old, new, other = (doctor.event(EventType.SLOT_OPENED) for _ in range(3))
    offered: list[list[uuid.UUID]] = []

    async def insert_new(events: list[EventEnvelope]) -> set[uuid.UUID]:
        offered.append([event.event_id for event in events])
        return {new.event_id, other.event_id}  # `old` was applied before

    claimed = await claim([new, old, new, other], insert_new)

    assert offered == [sorted([old.event_id, new.event_id, other.event_id])]
    assert claimed.fresh == [new, other]
    assert claimed.answers == [True, False, False, True]
