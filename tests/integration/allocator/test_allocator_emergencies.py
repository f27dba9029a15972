"""The three emergency paths, through the gateway on the real broker and database."""

from __future__ import annotations


async def test_an_emergency_into_a_slot_with_room_goes_to_the_head_of_the_queue(api):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    await api.book(slot, source="priority")

    response = await api.book(slot, source="walk_in", emergency=True)

    token = response.json()
    assert response.status_code == 201
    assert token["is_emergency"] and not token["is_overflow"]
    assert token["patient_phone"] is None


async def test_an_emergency_into_a_full_slot_moves_the_latest_walk_in_to_the_next_slot(api):
    doctor = await api.doctor()
    full = await api.slot(doctor["id"], capacity=3, start="09:00", end="10:00")
    later = await api.slot(doctor["id"], capacity=3, start="10:00", end="11:00")
    online = (await api.book(full, source="online")).json()
    first_walk_in = (await api.book(full, source="walk_in")).json()
    last_walk_in = (await api.book(full, source="walk_in")).json()

    response = await api.book(full, source="priority", emergency=True)

    emergency = response.json()
    assert response.status_code == 201 and emergency["slot_id"] == full["id"]
    assert not emergency["is_overflow"]
    moved = await api.client.post(f"/api/v1/tokens/{last_walk_in['id']}/check-in")
    assert moved.json()["slot_id"] == later["id"]
    assert moved.json()["moved_from_slot_id"] == full["id"]
    assert "emergency" in moved.json()["move_reason"]
    stayed = await api.client.post(f"/api/v1/tokens/{first_walk_in['id']}/check-in")
    assert stayed.json()["slot_id"] == full["id"]
    kept = await api.client.post(f"/api/v1/tokens/{online['id']}/check-in")
    assert kept.json()["slot_id"] == full["id"]


async def test_an_emergency_overflows_when_nobody_can_be_moved(api):
    doctor = await api.doctor()
    full = await api.slot(doctor["id"], capacity=2)
    await api.book(full, source="online")
    await api.book(full, source="follow_up")

    response = await api.book(full, source="priority", emergency=True)

    assert response.status_code == 201 and response.json()["is_overflow"]
    refused = await api.book(full, source="online")
    assert refused.status_code == 409 and refused.json()["code"] == "slot_full"
