"""The allocator's private port: health, and replays for operators only."""

from __future__ import annotations

import httpx

from allocator.main import create_app
from opd_shared.testing import serving


async def test_replaying_the_history_is_for_admins_only(gateway, api, infra):
    await api.doctor()  # some history to replay
    app = create_app(gateway.allocator_settings)

    async with serving(app) as started, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=started.app), base_url="http://allocator") as client:
        anonymous = await client.post("/admin/replay/queue_view")
        admin = await client.post("/admin/replay/queue_view", headers=infra.admin_headers)

    assert anonymous.status_code == 401
    assert admin.status_code == 200 and admin.json()["events"] > 0
