"""A booking through every service, as a client and a kiosk would see it."""

from __future__ import annotations

import datetime as dt
import functools
import time

import httpx


def _eventually(read, until, seconds: float = 10.0):
    """Poll a read model until `until(value)`; return the last value either way."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_tokens_booked_at_the_gateway_appear_in_queue_view_in_priority_order(system, infra):
    gateway, view = system["gateway"].url, system["queue_view"].url
    post = functools.partial(httpx.post, headers=infra.admin_headers)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    doctor = post(f"{gateway}/api/v1/doctors",
                        json={"name": "Dr. E2E", "specialization": "ENT", "room": "7"}).json()
    slot = post(f"{gateway}/api/v1/slots", json={
        "doctor_id": doctor["id"], "date": tomorrow, "start_time": "09:00",
        "end_time": "10:00", "max_capacity": 10}).json()

    booked = [
        post(f"{gateway}/api/v1/tokens", json={
            "patient_name": f"Patient {source}", "doctor_id": doctor["id"],
            "slot_id": slot["id"], "source": source})
        for source in ("walk_in", "online", "follow_up", "priority")
    ]

    assert [r.status_code for r in booked] == [201] * 4
    get = functools.partial(httpx.get, headers=infra.admin_headers)
    queue = _eventually(lambda: get(f"{view}/api/v1/slots/{slot['id']}/queue").json(),
                        lambda q: isinstance(q, list) and len(q) == 4)
    assert [entry["source"] for entry in queue] == ["priority", "follow_up", "online", "walk_in"]
    assert [entry["position"] for entry in queue] == [1, 2, 3, 4]
    token = get(f"{view}/api/v1/tokens/{booked[0].json()['id']}").json()
    assert token["token_number"] == booked[0].json()["token_number"]
