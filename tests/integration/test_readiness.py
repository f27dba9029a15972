"""Every service answers /readyz in one shape, from one implementation (opd_shared.health),
so an orchestrator, a load balancer and a person read all four the same way."""

from __future__ import annotations

READY = {"status": "ready", "checks": {"broker": True, "database": True}}


async def test_every_service_answers_readiness_in_the_same_body(hospital):
    services = (hospital.gateway, hospital.allocator, hospital.queue_view, hospital.analytics)

    answers = [await service.get("/readyz") for service in services]

    assert [(answer.status_code, answer.json()) for answer in answers] == [(200, READY)] * 4


async def test_every_service_answers_liveness_in_the_same_body(hospital):
    services = (hospital.gateway, hospital.allocator, hospital.queue_view, hospital.analytics)

    answers = [await service.get("/healthz") for service in services]

    assert [(answer.status_code, answer.json()) for answer in answers] == [
        (200, {"status": "ok"})] * 4
