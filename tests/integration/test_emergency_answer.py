"""An emergency into a full slot says whom it moved, so the desk can tell that patient."""

from __future__ import annotations

from .conftest import new_phone


async def test_an_emergency_into_a_full_slot_names_the_walk_in_it_moved_and_where(hospital):
    _, (slot, later) = await hospital.doctor_with_slots(1, 5)
    walk_in = (await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
        "patient_name": "Dev", "patient_phone": new_phone(), "doctor_id": slot["doctor_id"],
        "slot_id": slot["id"], "source": "walk_in"})).json()

    emergency = await hospital.gateway.post(
        "/api/v1/tokens", params={"emergency": "true"}, headers=hospital.admin,
        json={"patient_name": "Emergency", "doctor_id": slot["doctor_id"],
              "slot_id": slot["id"], "source": "priority"})

    assert emergency.status_code == 201
    assert emergency.json()["moved"] == [{
        "token_id": walk_in["id"], "token_number": walk_in["token_number"],
        "from_slot_id": slot["id"], "to_slot_id": later["id"]}]


async def test_a_booking_that_moved_nobody_says_so(hospital):
    _, (slot,) = await hospital.doctor_with_slots(5)

    booked = await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
        "patient_name": "Asha", "patient_phone": new_phone(), "doctor_id": slot["doctor_id"],
        "slot_id": slot["id"], "source": "online"})

    assert booked.json()["moved"] == []
