"""A channel's key acts on its own patients only; the hospital's keys on everyone's."""

from __future__ import annotations

from opd_shared.access import Role

from .conftest import new_phone


def _booking(slot: dict) -> dict:
    return {"patient_name": "Asha Rao", "patient_phone": new_phone(),
            "doctor_id": slot["doctor_id"], "slot_id": slot["id"], "source": "online"}


async def test_an_online_key_cannot_cancel_a_desk_booked_token_nor_learn_that_it_exists(
    hospital
) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10)
    desk, online = await hospital.key(Role.DESK), await hospital.key(Role.ONLINE)
    token = (await hospital.gateway.post("/api/v1/tokens", json=_booking(slot),
                                         headers=desk)).json()

    foreign = await hospital.gateway.post(f"/api/v1/tokens/{token['id']}/cancel", headers=online)
    missing = await hospital.gateway.post(f"/api/v1/tokens/{token['id'] + 4096}/cancel",
                                          headers=online)
    by_desk = await hospital.gateway.post(f"/api/v1/tokens/{token['id']}/cancel", headers=desk)

    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert foreign.json()["detail"] == missing.json()["detail"].replace(
        str(token["id"] + 4096), str(token["id"]))
    assert "Asha" not in foreign.text and token["patient_phone"] not in foreign.text
    assert (by_desk.status_code, by_desk.json()["status"]) == (200, "cancelled")  # was untouched


async def test_a_channel_key_cancels_and_moves_its_own_patients(hospital) -> None:
    _, (slot, later) = await hospital.doctor_with_slots(10, 10)
    partner = await hospital.key(Role.PARTNER, channel="partner-portal")
    first, second = [(await hospital.gateway.post("/api/v1/tokens", json=_booking(slot),
                                                  headers=partner)).json() for _ in range(2)]

    cancelled = await hospital.gateway.post(f"/api/v1/tokens/{first['id']}/cancel",
                                            headers=partner)
    moved = await hospital.gateway.post(f"/api/v1/tokens/{second['id']}/reallocate",
                                        json={"new_slot_id": later["id"]}, headers=partner)

    assert first["channel"] == "partner-portal"
    assert (cancelled.status_code, cancelled.json()["patient_name"]) == (200, "Asha Rao")
    assert (moved.status_code, moved.json()["slot_id"]) == (200, later["id"])


async def test_keys_of_one_channel_reach_the_same_tokens_so_a_key_can_be_rotated(
    hospital
) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10)
    old = await hospital.key(Role.ONLINE, channel="web-app")
    new = await hospital.key(Role.ONLINE, channel="web-app")
    token = (await hospital.gateway.post("/api/v1/tokens", json=_booking(slot),
                                         headers=old)).json()

    cancelled = await hospital.gateway.post(f"/api/v1/tokens/{token['id']}/cancel", headers=new)

    assert cancelled.status_code == 200


async def test_moving_a_patient_into_another_doctors_slot_is_409_saying_what_to_do(
    hospital
) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10)
    _, (colleagues,) = await hospital.doctor_with_slots(10)
    token = (await hospital.gateway.post("/api/v1/tokens", json=_booking(slot),
                                         headers=hospital.admin)).json()

    refused = await hospital.gateway.post(f"/api/v1/tokens/{token['id']}/reallocate",
                                          json={"new_slot_id": colleagues["id"]},
                                          headers=hospital.admin)
    unknown = await hospital.gateway.post(f"/api/v1/tokens/{token['id']}/reallocate",
                                          json={"new_slot_id": colleagues["id"] + 4096},
                                          headers=hospital.admin)

    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert "allow_other_doctor" in refused.json()["detail"]
    assert unknown.status_code == 404


async def test_a_phone_past_its_daily_bookings_with_a_doctor_is_429_until_midnight(
    hospital
) -> None:
    _, (slot,) = await hospital.doctor_with_slots(50)
    booking = _booking(slot)  # one phone number, over and over
    answers = [await hospital.gateway.post("/api/v1/tokens", json=booking,
                                           headers=hospital.admin) for _ in range(6)]

    assert [a.status_code for a in answers] == [201] * 5 + [429]
    assert answers[-1].json()["code"] == "quota_exceeded"
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 86_400
