"""A token carries the patient's ABHA number from any channel, shown only to those who may
see the patient (desk, staff, admin, and the channel that booked it)."""

from __future__ import annotations

from opd_shared.access import Role

from .conftest import eventually, new_phone


def _booking(slot: dict, abha: str | None) -> dict:
    return {"patient_name": "Asha Rao", "patient_phone": new_phone(), "doctor_id":
            slot["doctor_id"], "slot_id": slot["id"], "source": "online", "abha_number": abha}


async def test_an_abha_number_travels_to_the_read_model_and_only_patient_readers_see_it(
    hospital
) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10)
    online = await hospital.key(Role.ONLINE, channel="abha-app")
    stranger = await hospital.key(Role.ONLINE, channel="another-app")
    booked = await hospital.gateway.post("/api/v1/tokens", json=_booking(slot, "91123456789012"),
                                         headers=online)
    token = booked.json()
    path = f"/api/v1/tokens/{token['id']}"
    seen = await eventually(lambda: hospital.queue_view.get(path, headers=hospital.admin),
                            lambda r: r.status_code == 200)
    own = await hospital.queue_view.get(path, headers=online)
    foreign = await hospital.queue_view.get(path, headers=stranger)
    board = await hospital.queue_view.get(f"/api/v1/slots/{slot['id']}/queue", headers=online)

    assert (booked.status_code, token["abha_number"]) == (201, "91-1234-5678-9012")
    assert seen.json()["abha_number"] == own.json()["abha_number"] == "91-1234-5678-9012"
    assert foreign.status_code == 404 and "91-1234" not in foreign.text
    assert board.status_code == 200 and "91-1234" not in board.text
    assert [entry["abha_number"] for entry in board.json()] == [None]


async def test_a_malformed_abha_number_is_refused_and_books_nothing(hospital) -> None:
    _, (slot,) = await hospital.doctor_with_slots(10)
    refused = await hospital.gateway.post("/api/v1/tokens", json=_booking(slot, "91-1234-5678"),
                                          headers=hospital.admin)
    fine = await hospital.gateway.post("/api/v1/tokens", json=_booking(slot, None),
                                       headers=hospital.admin)

    assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
    assert "ABHA number" in refused.text
    assert (fine.status_code, fine.json()["sequence_number"]) == (201, 1)  # nothing before it


async def test_a_days_tokens_list_every_status_and_a_channel_only_its_own(hospital) -> None:
    doctor, (slot,) = await hospital.doctor_with_slots(10)
    desk, online = await hospital.key(Role.DESK), await hospital.key(Role.ONLINE, channel="app")
    mine = (await hospital.gateway.post("/api/v1/tokens", json=_booking(slot, "91123456789012"),
                                        headers=online)).json()
    theirs = (await hospital.gateway.post("/api/v1/tokens", json=_booking(slot, None),
                                          headers=desk)).json()
    await hospital.gateway.post(f"/api/v1/tokens/{theirs['id']}/cancel", headers=desk)
    query = {"date": slot["date"], "doctor_id": doctor["id"]}

    async def listed(headers: dict, **extra: object) -> list[dict]:
        answer = await hospital.queue_view.get("/api/v1/tokens", params={**query, **extra},
                                               headers=headers)
        return answer.json()

    everyone = await eventually(lambda: listed(desk),
                                lambda ts: [t["status"] for t in ts] == ["allocated", "cancelled"])
    assert [t["id"] for t in everyone] == [mine["id"], theirs["id"]]
    assert [t["id"] for t in await listed(online)] == [mine["id"]]
    assert [t["id"] for t in await listed(desk, status="cancelled")] == [theirs["id"]]
    assert [t["id"] for t in await listed(desk, abha_number="91-1234-5678-9012")] == [mine["id"]]
    first = await hospital.queue_view.get("/api/v1/tokens", params={**query, "limit": 1},
                                          headers=desk)
    second = await hospital.queue_view.get(first.links["next"]["url"], headers=desk)
    assert [t["id"] for t in first.json() + second.json()] == [mine["id"], theirs["id"]]
    assert "link" not in second.headers  # the last page
