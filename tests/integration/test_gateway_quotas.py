"""Each channel key books at most its daily quota; past it, 429 until the hospital's midnight."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.access import Role
from opd_shared.access.store import KeyStore
from opd_shared.testing import serving

PARTNER_DEFAULT = 1
SLOT = {"date": "2099-01-01", "start_time": "09:00", "end_time": "10:00", "max_capacity": 50}


@pytest.fixture(scope="module")
async def setup(infra) -> AsyncIterator[tuple[httpx.AsyncClient, KeyStore, dict, str]]:
    namespace = infra.namespace("quotas")
    settings = infra.settings(GatewaySettings, namespace, daily_bookings_partner=PARTNER_DEFAULT)
    gateway = create_gateway(settings)
    allocator = create_allocator(infra.settings(AllocatorSettings, namespace))
    async with serving(allocator), serving(gateway) as started:
        transport = httpx.ASGITransport(app=started.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            keys = KeyStore(settings.access_database_url)
            doctor = (await client.post("/api/v1/doctors", headers=infra.admin_headers,
                                        json={"name": "Dr. Q", "specialization": "ENT"})).json()
            slot = (await client.post("/api/v1/slots", headers=infra.admin_headers,
                                      json={"doctor_id": doctor["id"], **SLOT})).json()
            yield client, keys, slot, settings.timezone
            await keys.close()


async def _book(client: httpx.AsyncClient, key: str, slot: dict, times: int,
                emergency: bool = False) -> list:
    booking = {"patient_name": "Mira Quota", "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
               "source": "online"}
    return [await client.post("/api/v1/tokens", json=booking, params={"emergency": emergency},
                              headers={"Authorization": f"Bearer {key}"}) for _ in range(times)]


def _seconds_to_midnight(timezone: str) -> float:
    now = dt.datetime.now(ZoneInfo(timezone))
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(),
                                   tzinfo=now.tzinfo)
    return (midnight.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds()


async def test_a_key_past_its_daily_bookings_gets_429_until_the_hospitals_midnight(setup):
    client, keys, slot, timezone = setup
    _, key = await keys.create("portal", Role.PARTNER, daily_bookings=2)

    answers = await _book(client, key, slot, times=3)

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "quota_exceeded"
    assert abs(int(answers[2].headers["Retry-After"]) - _seconds_to_midnight(timezone)) < 5


async def test_a_partner_key_without_a_quota_of_its_own_has_its_roles(setup):
    client, keys, slot, _ = setup
    _, key = await keys.create("portal without a quota", Role.PARTNER)

    answers = await _book(client, key, slot, times=PARTNER_DEFAULT + 1)

    assert [a.status_code for a in answers] == [201] * PARTNER_DEFAULT + [429]


async def test_desk_keys_and_keys_given_no_limit_book_on(setup):
    client, keys, slot, _ = setup
    _, desk = await keys.create("desk", Role.DESK)
    _, unlimited = await keys.create("own app", Role.PARTNER, daily_bookings=0)

    answers = await _book(client, desk, slot, 3) + await _book(client, unlimited, slot, 3)

    assert {a.status_code for a in answers} == {201}


async def test_one_keys_quota_does_not_spend_anothers(setup):
    client, keys, slot, _ = setup
    _, spent = await keys.create("portal A", Role.PARTNER, daily_bookings=1)
    _, fresh = await keys.create("portal B", Role.PARTNER, daily_bookings=1)

    await _book(client, spent, slot, times=2)
    answer = (await _book(client, fresh, slot, times=1))[0]

    assert answer.status_code == 201


async def test_an_emergency_is_never_refused_for_a_quota_nor_spends_it(setup):
    client, keys, slot, _ = setup
    _, desk = await keys.create("desk with a quota", Role.DESK, daily_bookings=1)

    emergencies = await _book(client, desk, slot, times=2, emergency=True)
    ordinary = await _book(client, desk, slot, times=2)

    assert [a.status_code for a in emergencies + ordinary] == [201, 201, 201, 429]
