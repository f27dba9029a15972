"""An address that keeps sending bad keys is refused before its keys are looked up."""

import time
from types import SimpleNamespace

import pytest

from opd_shared.access import AccessPolicy, Guard, Role, counting
from opd_shared.http import ApiError

FAILURES = 3


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_an_address_past_its_failures_gets_429_even_with_a_good_key_and_no_look_up(
        key_store, client_from, look_ups):
    store = await key_store()
    _, good = await store.create("kiosk", Role.DESK)
    guard = Guard(store, policy=AccessPolicy(failures_per_minute=FAILURES))
    async with client_from(guard, "203.0.113.7") as client:
        failures = [await client.get("/queue", headers=_bearer(f"opd_guess-{n}"))
                    for n in range(FAILURES)]
        with look_ups(store) as seen:
            refused = await client.get("/queue", headers=_bearer(good))

    assert [f.status_code for f in failures] == [401] * FAILURES
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_failures"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert seen == []


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_malformed_authorization_headers_count_as_failures(key_store, client_from):
    store = await key_store()
    _, good = await store.create("kiosk", Role.DESK)
    guard = Guard(store, policy=AccessPolicy(failures_per_minute=FAILURES))
    async with client_from(guard, "203.0.113.8") as client:
        malformed = [await client.get("/queue", headers={"Authorization": "Basic abc"})
                     for _ in range(FAILURES)]
        refused = await client.get("/queue", headers=_bearer(good))

    assert [m.status_code for m in malformed] == [401] * FAILURES
    assert refused.status_code == 429


async def test_one_failing_address_does_not_throttle_another(key_store, client_from):
    store = await key_store()
    _, good = await store.create("kiosk", Role.DESK)
    guard = Guard(store, policy=AccessPolicy(failures_per_minute=FAILURES))
    async with client_from(guard, "203.0.113.9") as attacker, \
            client_from(guard, "198.51.100.4") as kiosk:
        for n in range(FAILURES + 2):
            await attacker.get("/queue", headers=_bearer(f"opd_guess-{n}"))
        answer = await kiosk.get("/queue", headers=_bearer(good))

    assert answer.status_code == 200


async def test_requests_with_a_good_key_are_not_failures(key_store, client_from):
    store = await key_store()
    _, good = await store.create("kiosk", Role.DESK)
    guard = Guard(store, policy=AccessPolicy(failures_per_minute=FAILURES))
    async with client_from(guard, "198.51.100.5") as client:
        answers = [await client.get("/queue", headers=_bearer(good)) for _ in range(FAILURES * 3)]

    assert {a.status_code for a in answers} == {200}


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_an_ipv6_machine_cannot_dodge_the_count_with_fresh_addresses(key_store,
                                                                            client_from):
    store = await key_store()
    _, good = await store.create("kiosk", Role.DESK)
    guard = Guard(store, policy=AccessPolicy(failures_per_minute=FAILURES))
    for n in range(FAILURES):  # each guess from another address of one /64
        async with client_from(guard, f"2001:db8:7:1::{n + 1:x}") as client:
            await client.get("/queue", headers=_bearer(f"opd_guess-{n}"))
    async with client_from(guard, "2001:db8:7:1::ff") as same_network, \
            client_from(guard, "2001:db8:7:2::1") as next_network:
        refused = await same_network.get("/queue", headers=_bearer(good))
        admitted = await next_network.get("/queue", headers=_bearer(good))

    assert (refused.status_code, admitted.status_code) == (429, 200)


async def test_failures_refuse_their_address_until_two_windows_have_passed_without_any(
        monkeypatch):
    # The check is skipped while no key failed for two windows; a failure 119 s old still
    # weighs on the sliding window (as the previous minute's), so it must not be skipped.
    counters = counting.Counters(FAILURES, "Asia/Kolkata")
    for _ in range(FAILURES):
        await counters.failed("203.0.113.7")
    later = time.monotonic() + 119
    monkeypatch.setattr(counting, "time", SimpleNamespace(monotonic=lambda: later,
                                                          time=time.time))

    with pytest.raises(ApiError) as refused:
        await counters.refuse_failing("203.0.113.7")
    await counters.refuse_failing("198.51.100.1")  # another address: not refused

    assert refused.value.status == 429 and refused.value.code == "too_many_failures"
