"""Reports need a key with READ_ANALYTICS, unless the deployment opens reads; the dashboard
page and the health checks never do."""

from __future__ import annotations

import pytest

PATHS = ["/api/v1/analytics/tokens", "/api/v1/analytics/waits?format=csv",
         "/api/v1/analytics/system/status", "/api/v1/analytics/doctors"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-key"},
                                     {"Authorization": "Basic abc"}])
async def test_reports_without_a_valid_key_are_401(start_analytics, headers):
    async with start_analytics(headers=headers) as service:
        answers = [await service.client.get(path) for path in PATHS]
        page = await service.client.get("/dashboard")
        alive = await service.client.get("/healthz")

    assert [a.status_code for a in answers] == [401] * len(PATHS)
    assert answers[0].json()["code"] == "unauthorized"
    assert answers[0].headers["WWW-Authenticate"] == "Bearer"
    assert (page.status_code, alive.status_code) == (200, 200)


async def test_with_open_reads_no_key_is_needed(start_analytics):
    async with start_analytics(headers={}, open_reads=True) as service:
        answers = [await service.client.get(path) for path in PATHS]

    assert [a.status_code for a in answers] == [200] * len(PATHS)


async def test_the_admin_key_reads(start_analytics, infra):
    async with start_analytics(headers=infra.admin_headers) as service:
        answer = await service.client.get(PATHS[0])

    assert answer.status_code == 200
