"""Delivery guarantees on the real broker and database: once, in any order, poison out.

One event at a time (batches of 1) so that the queue's order is the order of application:
an event published after another has been handled once it shows up.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from opd_shared.retries import ATTEMPT_LIMIT


@pytest.fixture(scope="module")
def service_overrides() -> dict[str, Any]:
    return {"batch_max": 1}


async def test_a_redelivered_event_changes_nothing_and_counts_once(service, events) -> None:
    slot = events.slot()
    token = events.token(slot)
    allocated = events.event(EventType.TOKEN_ALLOCATED, tokens=[token],
                             slots=[slot.model_copy(update={"current_count": 1})])
    checked_in = events.event(EventType.TOKEN_STATUS_CHANGED,
                              tokens=[token.model_copy(update={"status": TokenStatus.CHECKED_IN})])
    marker = events.event(EventType.SLOT_OPENED, slots=[events.slot()])
    for event in (allocated, checked_in):
        await service.publish(event)
    await service.wait_applied(events.doctor_id, 2)

    await service.publish(allocated)  # the same event again, as a redelivery would bring it
    await service.publish(marker)
    await service.wait_applied(events.doctor_id, 3)

    body = (await service.http.get(f"/api/v1/tokens/{token.id}")).json()
    assert body["status"] == "checked_in"
    assert (await service.http.get(f"/api/v1/slots/{slot.id}")).json()["current_count"] == 1
    assert await service.progress(events.doctor_id) == (3, 3)


async def test_events_of_one_doctor_out_of_order_end_in_the_latest_state(service, events) -> None:
    slot = events.slot()
    first, second = events.token(slot), events.token(slot)
    registered = events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor())
    allocated = events.event(EventType.TOKEN_ALLOCATED, tokens=[first],
                             slots=[slot.model_copy(update={"current_count": 1})])
    later = events.event(
        EventType.TOKEN_ALLOCATED,
        tokens=[first.model_copy(update={"status": TokenStatus.CHECKED_IN}), second],
        slots=[slot.model_copy(update={"current_count": 2})],
    )

    for event in (registered, later, allocated):  # seq 1, 3, 2
        await service.publish(event)
    progress = await service.wait_applied(events.doctor_id, 3)

    assert progress == (3, 3)
    queue = (await service.http.get(f"/api/v1/slots/{slot.id}/queue")).json()
    assert [(t["id"], t["status"]) for t in queue] == [
        (first.id, "checked_in"), (second.id, "allocated")]
    assert (await service.http.get(f"/api/v1/slots/{slot.id}")).json()["current_count"] == 2


async def test_a_body_that_is_not_an_event_is_dead_lettered_and_the_next_one_applied(
    service, events
) -> None:
    garbage_id = f"garbage-{uuid.uuid4()}"
    after = events.event(EventType.SLOT_OPENED, slots=[events.slot()])

    await service.publish_raw(b"{not json", "token.allocated", garbage_id)
    await service.publish(after)

    assert (await service.dead_letter(garbage_id)).startswith("not an event: ValidationError")
    assert await service.wait_applied(events.doctor_id, 1) == (1, 1)


async def test_an_event_that_keeps_failing_is_dead_lettered_after_its_last_try(
    service, events
) -> None:
    unstorable = events.slot(id=2**63)  # valid to the contract, beyond BIGINT in the table
    poison = events.event(EventType.SLOT_OPENED, slots=[unstorable])
    after = events.event(EventType.SLOT_OPENED, slots=[events.slot()])

    await service.publish(poison)
    await service.publish(after)

    reason = await service.dead_letter(str(poison.event_id))
    assert reason == f"failed {ATTEMPT_LIMIT} times; last: DBAPIError (SQLSTATE 22000)"
    assert await service.wait_applied(events.doctor_id, 1) == (2, 1)
