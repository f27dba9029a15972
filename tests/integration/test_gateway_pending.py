"""When no decision comes in time the gateway answers 202, and the allocator decides the
command once it comes (the gateway and the allocator, in this process)."""

from __future__ import annotations

import httpx

from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import serving


def _client(app, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw",
                             headers=headers)


async def test_a_command_queued_without_an_allocator_is_decided_once_it_comes(infra):
    namespace = infra.namespace("gw202")
    gateway = create_gateway(infra.settings(GatewaySettings, namespace, reply_timeout_seconds=3))
    allocator = create_allocator(infra.settings(AllocatorSettings, namespace))
    body = {"name": "Dr. Later", "specialization": "Cardiology"}

    async with serving(gateway) as started, \
            _client(started.app, infra.admin_headers) as client:
        pending = await client.post("/api/v1/doctors", json=body)
        key = pending.headers["Idempotency-Key"]
        async with serving(allocator):
            decided = await client.post("/api/v1/doctors", json=body,
                                        headers={"Idempotency-Key": key})
            again = await client.post("/api/v1/doctors", json=body,
                                      headers={"Idempotency-Key": key})

    assert pending.status_code == 202
    assert pending.json()["status"] == "pending" and pending.json()["request_id"] == key
    assert decided.status_code == 201 and again.json() == decided.json()
