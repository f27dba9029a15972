"""When the broker is gone, the gateway accepts nothing: 503 with Retry-After.

(A command answered 202 while no allocator runs: tests/integration/test_gateway_pending.py.)
"""

from __future__ import annotations

import datetime as dt

import httpx

from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import serving


def _client(app, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw",
                             headers=headers)


async def test_the_gateway_answers_503_with_retry_after_when_the_broker_is_gone(infra):
    gateway = create_gateway(infra.settings(GatewaySettings, infra.namespace("gw503")))
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()

    async with serving(gateway) as started, \
            _client(started.app, infra.admin_headers) as client:
        await gateway.state.runtime.bus.connection.close()
        response = await client.post("/api/v1/slots", json={
            "doctor_id": 1, "date": tomorrow, "start_time": "09:00", "end_time": "10:00",
            "max_capacity": 5})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"


async def test_the_gateway_is_not_ready_while_its_channel_is_closed_on_an_open_connection(infra):
    """After the broker restarts, the connection is back before the channel that publishes
    commands is restored; ready then, the gateway answered its first booking 503."""
    gateway = create_gateway(infra.settings(GatewaySettings, infra.namespace("gwchan")))

    async with serving(gateway) as started, \
            _client(started.app, infra.admin_headers) as client:
        bus = gateway.state.runtime.bus
        ready_before = (await client.get("/readyz")).status_code
        await bus.channel.close()
        assert not bus.connection.is_closed  # only the channel went
        not_ready = await client.get("/readyz")

    assert ready_before == 200
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["broker"] is False
