"""A missing event shows as a gap, leaves every other record right, and heals on arrival.

One event at a time (batches of 1), so that an event published after another has been
handled once it shows up.
"""

from __future__ import annotations

from typing import Any

import pytest

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from queue_view.display.board import build_boards


@pytest.fixture(scope="module")
def service_overrides() -> dict[str, Any]:
    return {"batch_max": 1}


def _history(events):
    """Four events of one doctor; the third (token A checked in) is the one to lose."""
    slot = events.slot()
    a, b = events.token(slot), events.token(slot)
    return [
        events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()),
        events.event(EventType.TOKEN_ALLOCATED, slots=[slot], tokens=[a]),
        events.event(EventType.TOKEN_STATUS_CHANGED,
                     tokens=[a.model_copy(update={"status": TokenStatus.CHECKED_IN})]),
        events.event(EventType.TOKEN_ALLOCATED, tokens=[b]),
    ], slot, a, b


async def _gaps_of(service, doctor_id: int) -> list[dict]:
    body = (await service.http.get("/api/v1/admin/progress")).json()
    return [gap for gap in body["gaps"] if gap["doctor_id"] == doctor_id]


async def _board(service, doctor_id: int, slot):
    async with service.runtime.sessions() as session:
        return (await build_boards(session, [doctor_id], slot.date, 4))[0]


async def test_a_missing_event_is_listed_with_its_seq_and_the_board_says_updating(
    service, events
) -> None:
    history, slot, a, b = _history(events)

    for event in (history[0], history[1], history[3]):
        await service.publish(event)
    await service.wait_applied(events.doctor_id, 3)

    assert await _gaps_of(service, events.doctor_id) == [{
        "doctor_id": events.doctor_id, "max_seq": 4, "applied_count": 3, "missing": 1,
        "missing_seqs": [3]}]
    queue = (await service.http.get(f"/api/v1/slots/{slot.id}/queue")).json()
    # Right for every record but the one whose latest event is missing (A, still allocated).
    assert [(t["id"], t["status"]) for t in queue] == [(a.id, "allocated"), (b.id, "allocated")]
    assert (await _board(service, events.doctor_id, slot)).in_sync is False


async def test_when_the_missing_event_arrives_the_gap_closes_and_the_record_catches_up(
    service, events
) -> None:
    history, slot, a, _b = _history(events)
    for event in (history[0], history[1], history[3]):
        await service.publish(event)
    await service.wait_applied(events.doctor_id, 3)

    await service.publish(history[2])
    await service.wait_applied(events.doctor_id, 4)

    assert await _gaps_of(service, events.doctor_id) == []
    token = (await service.http.get(f"/api/v1/tokens/{a.id}")).json()
    assert token["status"] == "checked_in"
    assert (await _board(service, events.doctor_id, slot)).in_sync is True


async def test_progress_counts_doctors_and_applied_events(service, events) -> None:
    history, *_ = _history(events)
    before = (await service.http.get("/api/v1/admin/progress")).json()

    for event in history:
        await service.publish(event)
    await service.wait_applied(events.doctor_id, 4)
    after = (await service.http.get("/api/v1/admin/progress")).json()

    assert after["doctors"] == before["doctors"] + 1
    assert after["events_applied"] == before["events_applied"] + 4
