"""The token lifecycle through the gateway: one transition function, places freed once."""

from __future__ import annotations

import pytest


async def _token(api, capacity: int = 2) -> tuple[dict, dict]:
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=capacity)
    return slot, (await api.book(slot)).json()


async def test_a_token_walks_from_allocated_to_completed(api):
    _, token = await _token(api)

    statuses = [
        (await api.post(f"/api/v1/tokens/{token['id']}/{step}", expect=200))["status"]
        for step in ("check-in", "start", "complete")
    ]

    assert statuses == ["checked_in", "consulting", "completed"]


@pytest.mark.parametrize("first, then", [("complete", "start"), ("no-show", "cancel"),
                                         ("cancel", "no-show"), ("cancel", "check-in")])
async def test_a_forbidden_transition_is_409_invalid_transition(api, first, then):
    _, token = await _token(api)
    if first == "complete":
        await api.post(f"/api/v1/tokens/{token['id']}/check-in", expect=200)
        await api.post(f"/api/v1/tokens/{token['id']}/start", expect=200)
    await api.client.post(f"/api/v1/tokens/{token['id']}/{first}")

    refused = await api.client.post(f"/api/v1/tokens/{token['id']}/{then}")

    assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"


async def test_v1_clients_can_patch_the_status_under_the_same_rules(api):
    _, token = await _token(api)

    ok = await api.client.patch(f"/api/v1/tokens/{token['id']}/status",
                                json={"status": "checked_in"})
    refused = await api.client.patch(f"/api/v1/tokens/{token['id']}/status",
                                     json={"status": "completed"})

    assert ok.status_code == 200 and ok.json()["status"] == "checked_in"
    assert refused.status_code == 409


async def test_a_place_is_freed_once_whatever_the_order_of_cancel_and_no_show(api):
    slot, token = await _token(api, capacity=2)
    await api.book(slot)

    await api.client.post(f"/api/v1/tokens/{token['id']}/no-show")
    await api.client.post(f"/api/v1/tokens/{token['id']}/cancel")
    await api.client.post(f"/api/v1/tokens/{token['id']}/no-show")

    assert (await api.book(slot)).status_code == 201
    assert (await api.book(slot)).status_code == 409


async def test_call_next_completes_the_open_consultation_and_calls_the_head(api):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    walk_in = (await api.book(slot, source="walk_in")).json()
    follow_up = (await api.book(slot, source="follow_up")).json()
    url = f"/api/v1/doctors/{doctor['id']}/call-next?slot_id={slot['id']}"

    first = await api.post(url, expect=200)
    second = await api.post(url, expect=200)
    nobody = await api.client.post(url)

    assert (first["id"], second["id"]) == (follow_up["id"], walk_in["id"])
    assert second["status"] == "consulting"
    done = await api.client.post(f"/api/v1/tokens/{follow_up['id']}/complete")
    assert done.status_code == 409  # already completed by the second call
    assert nobody.status_code == 404
