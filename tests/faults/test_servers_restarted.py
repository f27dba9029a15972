"""Guarantee 6: RabbitMQ or PostgreSQL restarted while bookings flow. The gateway says 503
with Retry-After while the broker is away, every service reconnects by itself, and nothing
that was acknowledged is lost or doubled."""

from __future__ import annotations

import asyncio
import time

import httpx

from .conftest import after, assert_nothing_lost_or_doubled


async def _all_ready(system, seconds: float = 90) -> float:
    """Seconds until every service's /readyz answers 200 again."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=2) as client:
        for service in system.services.values():
            while True:
                try:
                    if (await client.get(f"{service.url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() - started < seconds, f"{service.name} never recovered"
                await asyncio.sleep(0.5)
    return time.monotonic() - started


async def test_a_broker_restart_answers_503_then_recovers_losing_nothing(system, storm,
                                                                         servers, infra):
    refused: list[httpx.Response] = []

    async def restart_broker(ledger) -> None:
        await after(ledger, 100)
        await asyncio.to_thread(servers.stop_broker)
        async with httpx.AsyncClient(base_url=system["gateway"].url,
                                     headers=infra.admin_headers) as client:
            for _ in range(50):
                answer = await client.post("/api/v1/doctors", json={
                    "name": "Dr. Outage", "specialization": "None"})
                if answer.status_code == 503:
                    refused.append(answer)
                    break
                await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        await asyncio.to_thread(servers.start_broker)

    outcome = await storm(restart_broker)

    assert refused and refused[0].headers["Retry-After"]
    print(f"services ready again after {await _all_ready(system):.1f} s")
    assert_nothing_lost_or_doubled(outcome)


async def test_a_database_restart_is_waited_out_losing_nothing(system, storm, servers):
    async def restart_database(ledger) -> None:
        await after(ledger, 100)
        await asyncio.to_thread(servers.stop_database)
        await asyncio.sleep(3)
        await asyncio.to_thread(servers.start_database)

    outcome = await storm(restart_database)

    print(f"services ready again after {await _all_ready(system):.1f} s")
    assert_nothing_lost_or_doubled(outcome)
