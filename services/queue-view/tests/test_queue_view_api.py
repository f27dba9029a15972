"""The HTTP read API over events published to the real broker."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from opd_contracts import EventType
from opd_contracts.vocabulary import Source, TokenStatus


async def test_a_slot_queue_puts_consulting_then_emergencies_then_score_then_arrival(
    service, events
) -> None:
    slot = events.slot()
    walk_in_early = events.token(slot, Source.WALK_IN)
    online = events.token(slot, Source.ONLINE)
    walk_in_late = events.token(slot, Source.WALK_IN)
    vip = events.token(slot, Source.PRIORITY)
    emergency = events.token(slot, Source.PRIORITY, is_emergency=True)
    follow_up = events.token(slot, Source.FOLLOW_UP)
    consulting = events.token(slot, Source.WALK_IN, status=TokenStatus.CONSULTING)
    gone = [events.token(slot, Source.PRIORITY, status=s)
            for s in (TokenStatus.COMPLETED, TokenStatus.CANCELLED, TokenStatus.NO_SHOW)]
    tokens = [walk_in_early, online, walk_in_late, vip, emergency, follow_up, consulting, *gone]

    for token in tokens:
        await service.publish(events.event(EventType.TOKEN_ALLOCATED, tokens=[token]))
    await service.publish(events.event(EventType.SLOT_OPENED, slots=[slot]))
    await service.wait_applied(events.doctor_id, len(tokens) + 1)
    response = await service.http.get(f"/api/v1/slots/{slot.id}/queue")

    assert response.status_code == 200
    assert [(e["position"], e["id"]) for e in response.json()] == list(enumerate(
        [t.id for t in (consulting, emergency, vip, follow_up, online, walk_in_early,
                        walk_in_late)], start=1))


async def test_a_slot_reads_with_v1_fields_and_live_counts(service, events) -> None:
    slot = events.slot(max_capacity=2, current_count=3, overflow_count=1,
                       start_time=dt.time(14, 30), end_time=dt.time(15))
    other_day = events.slot(date=slot.date + dt.timedelta(days=1))

    await service.publish(events.event(EventType.SLOT_OPENED, slots=[slot, other_day]))
    response = await service.get_until(f"/api/v1/slots/{slot.id}", lambda r: r.status_code != 404)

    assert response.json() == {
        "id": slot.id, "doctor_id": events.doctor_id, "date": slot.date.isoformat(),
        "start_time": "14:30", "end_time": "15:00", "max_capacity": 2, "current_count": 3,
        "overflow_count": 1, "is_active": True, "available_capacity": 0, "is_full": True,
        "utilisation": 1.5,
    }
    listed = await service.http.get("/api/v1/slots", params={
        "doctor_id": events.doctor_id, "date": slot.date.isoformat()})
    assert [s["id"] for s in listed.json()] == [slot.id]


async def test_doctors_and_tokens_read_by_id_and_by_number(service, events) -> None:
    slot = events.slot()
    moved = events.token(slot, is_overflow=True, moved_from_slot_id=slot.id + 1,
                         move_reason="doctor delayed", patient_phone="+91 98765 43210")

    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()))
    await service.publish(events.event(EventType.TOKEN_MOVED, tokens=[moved]))
    await service.wait_applied(events.doctor_id, 2)

    doctor = (await service.http.get(f"/api/v1/doctors/{events.doctor_id}")).json()
    assert (doctor["name"], doctor["room"]) == (f"Dr {events.doctor_id}", "R1")
    listed = (await service.http.get("/api/v1/doctors", params={"limit": 1000})).json()
    assert events.doctor_id in [d["id"] for d in listed]
    by_id = (await service.http.get(f"/api/v1/tokens/{moved.id}")).json()
    by_number = (await service.http.get(f"/api/v1/tokens/number/{moved.token_number}")).json()
    assert by_id == by_number
    assert by_id == moved.model_dump(mode="json")


async def test_concurrent_events_of_many_records_converge_to_each_latest_snapshot(
    service, events
) -> None:
    slot = events.slot()
    tokens = [events.token(slot) for _ in range(5)]
    steps = (TokenStatus.ALLOCATED, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING,
             TokenStatus.COMPLETED)
    history = [events.event(EventType.TOKEN_STATUS_CHANGED,
                            tokens=[t.model_copy(update={"status": s}) for t in tokens],
                            slots=[slot.model_copy(update={"current_count": n})])
               for n, s in enumerate(steps)]

    for event in random.sample(history, len(history)):
        await service.publish(event)
    await service.wait_applied(events.doctor_id, len(history))

    for token in tokens:
        body = (await service.http.get(f"/api/v1/tokens/{token.id}")).json()
        assert body["status"] == "completed"
    assert (await service.http.get(f"/api/v1/slots/{slot.id}")).json()["current_count"] == 3
    assert (await service.http.get(f"/api/v1/slots/{slot.id}/queue")).json() == []


@pytest.mark.parametrize("path", [
    "/api/v1/doctors/1", "/api/v1/slots/1", "/api/v1/slots/1/queue", "/api/v1/tokens/1",
    "/api/v1/tokens/number/DOC1-20300115-9999",
])
async def test_unknown_ids_are_404_not_found(service, path) -> None:
    response = await service.http.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "not found" in response.json()["detail"]


@pytest.mark.parametrize("path", [
    "/api/v1/slots?date=tomorrow", "/api/v1/slots?doctor_id=x", "/api/v1/tokens/abc",
])
async def test_malformed_parameters_are_422(service, path) -> None:
    assert (await service.http.get(path)).status_code == 422


async def test_health_and_readiness_answer_while_broker_and_database_are_up(service) -> None:
    assert (await service.http.get("/healthz")).status_code == 200

    response = await service.http.get("/readyz")

    assert (response.status_code, response.json()) == (
        200, {"status": "ready", "checks": {"broker": True, "database": True}})
