"""The ticket end to end: the booking's answer carries it, queue-view's live page opens
with it (no key), and it follows a patient transferred to a colleague."""

from __future__ import annotations

from .conftest import Hospital, eventually, new_phone

NAME = "Kavya Pillai"


async def _book(hospital: Hospital, slot: dict) -> dict:
    answer = await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
        "patient_name": NAME, "patient_phone": new_phone(), "doctor_id": slot["doctor_id"],
        "slot_id": slot["id"], "source": "walk_in"})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_the_booking_answer_carries_a_ticket_that_opens_the_live_page(hospital) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10)
    first, token = await _book(hospital, slot), await _book(hospital, slot)

    page = await eventually(lambda: hospital.queue_view.get(f"/t/{token['ticket']}"),
                            lambda r: r.status_code == 200 and 'data-field="ahead">1<' in r.text)

    assert len(token["ticket"]) >= 22 and token["ticket"] != first["ticket"]
    assert token["token_number"] in page.text and NAME not in page.text
    assert "Authorization" not in page.request.headers


async def test_a_transferred_patient_s_ticket_shows_the_new_token(hospital) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10, specialization="Dermatology")
    colleague, (their_slot,) = await hospital.doctor_with_slots(10, specialization="Dermatology")
    token = await _book(hospital, slot)

    moved = await hospital.gateway.post(
        f"/api/v1/tokens/{token['id']}/reallocate", headers=hospital.admin,
        json={"new_slot_id": their_slot["id"], "allow_other_doctor": True})
    page = await eventually(lambda: hospital.queue_view.get(f"/t/{token['ticket']}"),
                            lambda r: moved.json()["token_number"] in r.text)

    assert moved.status_code == 200 and moved.json()["ticket"] == token["ticket"]
    assert moved.json()["token_number"] in page.text and colleague["name"] in page.text
