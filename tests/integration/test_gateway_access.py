"""Each refusal of access control: 401 without a good key, 403 beyond the role, 429 too fast."""

from __future__ import annotations

import httpx
import pytest

from opd_shared.access import Role
from opd_shared.access.store import KeyStore


@pytest.fixture(scope="module")
async def setup(hospital) -> tuple[httpx.AsyncClient, KeyStore, dict]:
    """The hospital's gateway (no default key), its key store, and one slot of 10 places."""
    _, slots = await hospital.doctor_with_slots(10)
    return hospital.gateway, hospital.keys, slots[0]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _booking(slot: dict, source: str) -> dict:
    return {"patient_name": "Mira", "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
            "source": source}


async def test_a_request_without_a_key_or_with_an_unknown_one_is_401(setup):
    client, _, slot = setup

    missing = await client.post("/api/v1/tokens", json=_booking(slot, "online"))
    unknown = await client.post("/api/v1/tokens", json=_booking(slot, "online"),
                                headers=_bearer("opd_not-a-real-key"))
    malformed = await client.post("/api/v1/tokens", json=_booking(slot, "online"),
                                  headers={"Authorization": "Basic abc"})

    assert [r.status_code for r in (missing, unknown, malformed)] == [401, 401, 401]
    assert missing.json()["code"] == "unauthorized"
    assert missing.headers["WWW-Authenticate"] == "Bearer"


async def test_an_online_key_books_online_only_and_never_emergencies_or_schedules(setup):
    client, keys, slot = setup
    _, key = await keys.create("web app", Role.ONLINE)

    online = await client.post("/api/v1/tokens", json=_booking(slot, "online"),
                               headers=_bearer(key))
    priority = await client.post("/api/v1/tokens", json=_booking(slot, "priority"),
                                 headers=_bearer(key))
    emergency = await client.post("/api/v1/tokens", json=_booking(slot, "online"),
                                  params={"emergency": "true"}, headers=_bearer(key))
    doctor = await client.post("/api/v1/doctors", json={"name": "X", "specialization": "Y"},
                               headers=_bearer(key))
    start = await client.post(f"/api/v1/tokens/{online.json()['id']}/start",
                              headers=_bearer(key))

    assert online.status_code == 201
    assert [r.status_code for r in (priority, emergency, doctor, start)] == [403] * 4
    assert priority.json()["code"] == "forbidden"


async def test_the_desk_books_emergencies_and_checks_in_but_staff_start_consultations(setup):
    client, keys, slot = setup
    _, desk = await keys.create("desk 1", Role.DESK)
    _, staff = await keys.create("nurse", Role.STAFF)

    token = await client.post("/api/v1/tokens", json=_booking(slot, "walk_in"),
                              params={"emergency": "true"}, headers=_bearer(desk))
    checked_in = await client.post(f"/api/v1/tokens/{token.json()['id']}/check-in",
                                   headers=_bearer(desk))
    desk_start = await client.post(f"/api/v1/tokens/{token.json()['id']}/start",
                                   headers=_bearer(desk))
    staff_start = await client.post(f"/api/v1/tokens/{token.json()['id']}/start",
                                    headers=_bearer(staff))

    assert (token.status_code, checked_in.status_code) == (201, 200)
    assert desk_start.status_code == 403
    assert staff_start.status_code == 200 and staff_start.json()["status"] == "consulting"


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_a_key_over_its_rate_gets_429_with_retry_after(setup):
    client, keys, slot = setup
    _, key = await keys.create("slow partner", Role.PARTNER, rate_per_minute=2)

    answers = [await client.post("/api/v1/tokens", json=_booking(slot, "online"),
                                 headers=_bearer(key)) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1


async def test_a_revoked_key_no_longer_works(setup):
    client, keys, slot = setup
    record, key = await keys.create("lost tablet", Role.DESK)

    assert await keys.revoke(record.id)
    answer = await client.post("/api/v1/tokens", json=_booking(slot, "walk_in"),
                               headers=_bearer(key))

    assert answer.status_code == 401
