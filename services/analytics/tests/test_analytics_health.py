"""Liveness and readiness: ready only while both the broker and the database answer."""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import create_async_engine

from analytics.consumer import build_consumer

NOWHERE = "127.0.0.1:9"  # the discard port: nothing listens there


async def test_a_running_service_is_alive_and_ready(start_analytics):
    async with start_analytics() as service:
        alive = await service.client.get("/healthz")
        ready = await service.client.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (
        200, {"status": "ready", "checks": {"broker": True, "database": True}})


async def test_without_its_database_the_service_is_not_ready_and_says_when_to_retry(
    start_analytics,
):
    async with start_analytics(readiness_timeout_seconds=1) as service:
        lost = create_async_engine(f"postgresql+asyncpg://postgres@{NOWHERE}/gone")
        service.app.state.runtime = dataclasses.replace(service.runtime, engine=lost)
        answer = await service.client.get("/readyz")
        await lost.dispose()

    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")
    body = answer.json()
    assert (body["status"], body["checks"], body["code"]) == (
        "not_ready", {"broker": True, "database": False}, "not_ready")
    assert body["detail"].startswith("database not answering")


async def test_without_its_broker_the_service_is_not_ready(start_analytics):
    async with start_analytics(readiness_timeout_seconds=1) as service:
        never_started = build_consumer(service.runtime.settings, service.runtime.sessions)
        service.app.state.runtime = dataclasses.replace(service.runtime, consumer=never_started)
        answer = await service.client.get("/readyz")

    assert (answer.status_code, answer.json()["checks"]) == (
        503, {"broker": False, "database": True})
