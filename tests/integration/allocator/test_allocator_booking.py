"""Booking through the gateway, decided by the allocator on the real broker and database."""

from __future__ import annotations

import asyncio


async def test_a_booking_returns_the_token_with_its_number_score_and_sequence(api):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)

    response = await api.book(slot, source="follow_up")

    assert response.status_code == 201, response.text
    token = response.json()
    assert token["status"] == "allocated"
    assert token["priority_score"] == 50
    assert token["sequence_number"] == 1
    assert token["token_number"] == f"DOC{doctor['id']}-{slot['date'].replace('-', '')}-0001"


async def test_a_hundred_concurrent_bookings_fill_twenty_places_exactly(api):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=20)

    responses = await asyncio.gather(*(api.book(slot) for _ in range(100)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 20 and statuses.count(409) == 80, statuses
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {r["code"] for r in refused} == {"slot_full"}
    sequences = sorted(r.json()["sequence_number"] for r in responses if r.status_code == 201)
    assert sequences == list(range(1, 21))


async def test_a_full_slot_offers_the_doctors_later_slots_first(api):
    doctor = await api.doctor(specialization="Dermatology")
    full = await api.slot(doctor["id"], capacity=1, start="09:00", end="10:00")
    later = await api.slot(doctor["id"], capacity=3, start="10:00", end="11:00")
    colleague = await api.doctor(specialization="Dermatology")
    theirs = await api.slot(colleague["id"], capacity=3, start="08:00", end="09:00")
    assert (await api.book(full)).status_code == 201

    refused = await api.book(full)

    assert refused.status_code == 409
    offered = [s["id"] for s in refused.json()["alternatives"]]
    assert offered[:2] == [later["id"], theirs["id"]]


async def test_the_same_idempotency_key_returns_the_first_outcome_and_books_once(api, gateway):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    body = {"patient_name": "Asha", "doctor_id": doctor["id"], "slot_id": slot["id"],
            "source": "walk_in"}
    headers = {"Idempotency-Key": f"retry-{slot['id']}"}

    first = await gateway.post("/api/v1/tokens", json=body, headers=headers)
    again = await gateway.post("/api/v1/tokens", json=body, headers=headers)
    other = await gateway.post("/api/v1/tokens", json={**body, "patient_name": "Ravi"},
                               headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    fresh = await api.book(slot)
    assert fresh.json()["sequence_number"] == 2


async def test_unknown_records_are_404_and_bad_input_is_422(api, gateway):
    doctor = await api.doctor()

    missing_slot = await api.book({"id": 999_999, "doctor_id": doctor["id"]})
    missing_token = await gateway.post("/api/v1/tokens/123456789/cancel")
    bad_source = await gateway.post("/api/v1/tokens", json={
        "patient_name": "X", "doctor_id": doctor["id"], "slot_id": 1, "source": "vip"})

    assert missing_slot.status_code == 404 and missing_slot.json()["code"] == "not_found"
    assert missing_token.status_code == 404
    assert bad_source.status_code == 422 and "source" in bad_source.json()["detail"]
