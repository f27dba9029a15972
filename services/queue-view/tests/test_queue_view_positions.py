"""Estimated waits on queues, a patient's own position, and a doctor's day, over events."""

from __future__ import annotations

import datetime as dt

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus

NINE = dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC)  # the factory's day


def _minute(minutes: int) -> dt.datetime:
    return NINE + dt.timedelta(minutes=minutes)


def _done(events, slot, started: int, completed: int):
    return events.token(slot, status=TokenStatus.COMPLETED, consultation_started_at=_minute(
        started), completed_at=_minute(completed))


async def _publish_all(service, events, *batches) -> None:
    for batch in batches:
        await service.publish(events.event(EventType.TOKEN_ALLOCATED, **batch))
    await service.wait_applied(events.doctor_id, events.seq)  # every event of the doctor


async def test_queue_waits_use_slot_length_per_place_until_consultations_are_measured(
    service, events
) -> None:
    slot = events.slot(start_time=dt.time(9), end_time=dt.time(10), max_capacity=12)
    seen = events.token(slot, status=TokenStatus.CONSULTING)
    waiting = [events.token(slot), events.token(slot)]
    await _publish_all(service, events, {"slots": [slot], "tokens": [seen, *waiting]})
    planned = (await service.http.get(f"/api/v1/slots/{slot.id}/queue")).json()

    finished = [_done(events, slot, 0, 8), _done(events, slot, 8, 40), _done(events, slot, 40, 46)]
    await service.publish(events.event(EventType.TOKEN_STATUS_CHANGED, tokens=finished))
    await service.wait_applied(events.doctor_id, 2)
    measured = (await service.http.get(f"/api/v1/slots/{slot.id}/queue")).json()

    assert [(e["position"], e["estimated_wait_minutes"]) for e in planned] == [
        (1, 0), (2, 5), (3, 10)]
    assert [e["estimated_wait_minutes"] for e in measured] == [0, 8, 16]  # median of 8, 32, 6


async def test_a_patient_sees_position_ahead_and_wait_by_token_number_without_names(
    service, events
) -> None:
    slot = events.slot(start_time=dt.time(9), end_time=dt.time(10), max_capacity=6)
    first, mine = events.token(slot, status=TokenStatus.CONSULTING), events.token(
        slot, patient_name="Meera Iyer", patient_phone="+91 98765 00000")
    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()))
    await _publish_all(service, events, {"slots": [slot], "tokens": [first, mine]})

    response = await service.http.get(f"/api/v1/tokens/number/{mine.token_number}/position")

    assert response.status_code == 200
    assert response.json() == {
        "token_number": mine.token_number, "status": "allocated",
        "doctor_id": events.doctor_id, "slot_id": slot.id, "room": "R1", "position": 2,
        "ahead": 1, "estimated_wait_minutes": 10, "minutes_per_patient": 10.0,
        "wait_basis": "planned",
    }
    assert "Meera" not in response.text and "98765" not in response.text


async def test_a_token_no_longer_waiting_has_no_position(service, events) -> None:
    slot = events.slot()
    gone = events.token(slot, status=TokenStatus.CANCELLED)
    await _publish_all(service, events, {"slots": [slot], "tokens": [gone]})

    body = (await service.http.get(f"/api/v1/tokens/number/{gone.token_number}/position")).json()
    unknown = await service.http.get("/api/v1/tokens/number/DOC1-20300115-9999/position")

    assert (body["status"], body["position"], body["estimated_wait_minutes"]) == (
        "cancelled", None, None)
    assert unknown.status_code == 404


async def test_a_doctors_day_lists_that_dates_slots_with_counts_paces_and_queues(
    service, events
) -> None:
    morning = events.slot(start_time=dt.time(9), end_time=dt.time(10), max_capacity=4,
                          current_count=2)
    noon = events.slot(start_time=dt.time(12), end_time=dt.time(13), max_capacity=6)
    tomorrow = events.slot(date=morning.date + dt.timedelta(days=1))
    tokens = [events.token(morning), events.token(morning)]
    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()))
    await _publish_all(service, events, {"slots": [morning, noon, tomorrow], "tokens": tokens})

    day = (await service.http.get(
        f"/api/v1/doctors/{events.doctor_id}/day/{morning.date.isoformat()}")).json()
    missing = await service.http.get(f"/api/v1/doctors/1/day/{morning.date.isoformat()}")

    assert day["doctor"]["id"] == events.doctor_id
    assert [s["id"] for s in day["slots"]] == [morning.id, noon.id]
    first = day["slots"][0]
    assert (first["utilisation"], first["available_capacity"]) == (0.5, 2)
    assert (first["minutes_per_patient"], first["wait_basis"]) == (15.0, "planned")
    assert [(e["id"], e["estimated_wait_minutes"]) for e in first["queue"]] == [
        (tokens[0].id, 0), (tokens[1].id, 15)]
    assert (day["slots"][1]["minutes_per_patient"], day["slots"][1]["queue"]) == (10.0, [])
    assert missing.status_code == 404
