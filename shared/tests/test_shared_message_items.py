"""A message's items, whichever contract version carried them: a version-2 batch whole, a
version-1 single, a batch with a bad item (which alone becomes Unreadable), and bodies that
are no message at all (which raise, to be parked whole)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from pydantic import ValidationError

from opd_contracts import EventBatch, EventEnvelope, EventType
from opd_contracts.batches import BATCH_ITEMS_MAX
from opd_shared.messaging import Unreadable, items_of


def _event(seq: int = 1) -> dict:
    return json.loads(EventEnvelope(event_id=uuid.uuid4(), type=EventType.SLOT_OPENED,
                                    doctor_id=7, seq=seq,
                                    occurred_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
                                    ).model_dump_json())


def _items(body: object):
    return items_of(json.dumps(body).encode(), EventEnvelope, EventBatch, "events")


def test_a_version_2_batch_gives_its_events_in_order():
    events = [_event(1), _event(2)]

    found = _items({"version": 2, "events": events})

    assert found.version == 2
    assert [str(e.event_id) for e in found.readable()] == [e["event_id"] for e in events]


def test_a_version_1_message_gives_its_one_event():
    event = _event()

    found = _items(event)

    assert (found.version, [str(e.event_id) for e in found.items]) == (1, [event["event_id"]])


def test_a_bad_item_becomes_unreadable_in_its_place_and_its_neighbours_stay():
    good = [_event(1), _event(3)]

    found = _items({"version": 2, "events": [good[0], {"type": "slot.opened"}, good[1]]})

    assert isinstance(found.items[1], Unreadable)
    assert found.items[1].reason.startswith("ValidationError")
    assert [str(e.event_id) for e in found.readable()] == [e["event_id"] for e in good]


@pytest.mark.parametrize("body", [
    {"version": 2, "events": []},  # a batch of nothing
    {"version": 2, "events": [_event(n) for n in range(1, BATCH_ITEMS_MAX + 2)]},  # too many
    {"version": 3, "events": [_event()]},  # a version nobody reads
    {"type": "slot.opened"},  # neither shape
])
def test_a_body_that_is_no_message_raises_to_be_parked_whole(body):
    with pytest.raises(ValidationError):
        _items(body)


def test_a_body_that_is_not_json_raises():
    with pytest.raises(ValidationError):
        items_of(b"\xff not json", EventEnvelope, EventBatch, "events")
