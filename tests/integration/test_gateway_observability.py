"""What an operator sees: Prometheus metrics at /metrics and a request id on every answer."""

from __future__ import annotations

import uuid

import httpx

from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import eventually, serving


async def test_the_gateway_exposes_latency_histograms_and_reply_timeouts(infra):
    namespace = infra.namespace("obs")
    gateway = create_gateway(infra.settings(GatewaySettings, namespace, reply_timeout_seconds=0.3))
    allocator = create_allocator(infra.settings(AllocatorSettings, namespace))
    body = {"name": "Dr. Metrics", "specialization": "ENT"}

    async with serving(gateway) as started, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=started.app), base_url="http://gw",
            headers=infra.admin_headers) as client:
        pending = await client.post("/api/v1/doctors", json=body)
        again = {"Idempotency-Key": pending.headers["Idempotency-Key"]}
        async with serving(allocator):
            # The same request again until the allocator, just started, has decided it:
            # each try may itself time out after 0.3 s on a busy machine.
            decided = await eventually(
                lambda: client.post("/api/v1/doctors", json=body, headers=again),
                lambda answer: answer.status_code != 202, seconds=30)
        metrics = (await client.get("/metrics")).text

    assert pending.status_code == 202 and decided.status_code == 201
    assert uuid.UUID(decided.headers["X-Request-ID"])
    assert 'http_request_duration_seconds_bucket{handler="/api/v1/doctors"' in metrics
    timeouts = [line for line in metrics.splitlines()
                if line.startswith("opd_reply_timeouts_total ")]
    assert timeouts and float(timeouts[0].split()[1]) >= 1
