"""Bad input of any kind gets a clear 4xx and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import serving

HOSTILE_NAMES = ["Robert'); DROP TABLE tokens;--", "<script>alert(1)</script>",
                 "\u202eevil", "名前 テスト 🚑", "x" * 121, "", "   ", "\x00nul"]


@pytest.fixture(scope="module")
async def world(infra) -> AsyncIterator[tuple[httpx.AsyncClient, dict, str]]:
    namespace = infra.namespace("bad")
    allocator_settings = infra.settings(AllocatorSettings, namespace)
    gateway = create_gateway(infra.settings(GatewaySettings, namespace))
    async with serving(create_allocator(allocator_settings)), \
            serving(gateway) as started:
        transport = httpx.ASGITransport(app=started.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw",
                                     headers=infra.admin_headers) as client:
            doctor = (await client.post("/api/v1/doctors", json={
                "name": "Dr. Guard", "specialization": "ENT"})).json()
            slot = (await client.post("/api/v1/slots", json={
                "doctor_id": doctor["id"], "date": "2099-01-01", "start_time": "09:00",
                "end_time": "10:00", "max_capacity": 5})).json()
            dsn = allocator_settings.database_url.replace("+asyncpg", "")
            yield client, slot, dsn


async def _tokens(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM tokens")
    finally:
        await conn.close()


def _booking(slot: dict, **overrides: object) -> dict:
    return {"patient_name": "Asha", "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
            "source": "online", **overrides}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_hostile_or_odd_names_are_refused_or_stored_verbatim(world, name):
    client, slot, dsn = world
    before = await _tokens(dsn)

    answer = await client.post("/api/v1/tokens", json=_booking(slot, patient_name=name))

    if answer.status_code == 201:
        assert answer.json()["patient_name"] == name.strip()
        assert await _tokens(dsn) == before + 1
    else:
        assert answer.status_code == 422 and answer.json()["detail"]
        assert await _tokens(dsn) == before


@pytest.mark.parametrize("change", [
    {"doctor_id": 2**70}, {"slot_id": -1}, {"source": "vip"}, {"patient_phone": "call me"},
    {"extra_field": 1}, {"doctor_id": "1; DROP TABLE"}, {"notes": "n" * 501},
])
async def test_out_of_range_or_unknown_fields_are_422_and_change_nothing(world, change):
    client, slot, dsn = world
    before = await _tokens(dsn)

    answer = await client.post("/api/v1/tokens", json=_booking(slot, **change))

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert await _tokens(dsn) == before


async def test_a_huge_body_is_413_before_it_is_read(world):
    client, _, _ = world

    answer = await client.post("/api/v1/tokens", content=b"{" + b" " * 200_000 + b"}",
                               headers={"Content-Type": "application/json"})

    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


@pytest.mark.parametrize("body, content_type", [
    (b"patient_name=Asha", "application/x-www-form-urlencoded"),
    (b"not json at all", "application/json"), (b"[1, 2, 3]", "application/json"),
    (b'{"patient_name": "Asha"', "text/plain"),
])
async def test_wrong_content_is_a_clear_4xx(world, body, content_type):
    client, _, dsn = world
    before = await _tokens(dsn)

    answer = await client.post("/api/v1/tokens", content=body,
                               headers={"Content-Type": content_type})

    assert 400 <= answer.status_code < 500 and answer.json()["detail"]
    assert await _tokens(dsn) == before


@pytest.mark.parametrize("path", ["/api/v1/tokens/99999999999999999999999/cancel",
                                  "/api/v1/tokens/abc/check-in", "/api/v1/tokens/0/start"])
async def test_bad_ids_in_paths_are_422(world, path):
    client, _, _ = world

    answer = await client.post(path)

    assert answer.status_code == 422


async def test_a_control_character_in_a_query_reason_is_422(world):
    client, slot, _ = world
    token = (await client.post("/api/v1/tokens", json=_booking(slot))).json()

    answer = await client.post(f"/api/v1/tokens/{token['id']}/cancel",
                               params={"reason": "bad\x00reason"})

    assert answer.status_code == 422 and "control characters" in answer.json()["detail"]
    still = await client.post(f"/api/v1/tokens/{token['id']}/check-in")
    assert still.status_code == 200  # not cancelled


async def test_a_slot_time_with_a_utc_offset_is_422_not_a_stuck_command(world):
    client, slot, _ = world

    answer = await client.post("/api/v1/slots", json={
        "doctor_id": slot["doctor_id"], "date": "2099-01-02", "start_time": "09:00+05:00",
        "end_time": "10:00", "max_capacity": 5})

    assert answer.status_code == 422 and "offset" in answer.json()["detail"]
