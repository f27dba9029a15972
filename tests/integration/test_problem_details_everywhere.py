"""Every refusal of every service, whichever layer makes it, is RFC 9457 problem details
(`application/problem+json`, type/title/status/detail/instance, `code` kept): the key
guard, validation, routing, the body limit, the allocator's decided refusals mapped by the
gateway, queue-view's and analytics' own 404s and a bad cursor."""

from __future__ import annotations

import pytest

from opd_shared.access import Role

PROBLEM = "application/problem+json"


def problem(answer, status: int, code: str) -> dict:
    assert (answer.status_code, answer.headers["content-type"]) == (status, PROBLEM), \
        answer.text
    body = answer.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"].endswith(f"/{code}") and body["title"] and body["detail"]
    assert body["instance"] == answer.request.url.path
    return body


async def test_the_gateway_refuses_in_problem_details_at_every_layer(hospital):
    gw, admin = hospital.gateway, hospital.admin
    doctor, (slot,) = await hospital.doctor_with_slots(1)
    booking = {"patient_name": "A", "doctor_id": doctor["id"], "slot_id": slot["id"],
               "source": "walk_in"}
    assert (await gw.post("/api/v1/tokens", headers=admin, json=booking)).status_code == 201
    display = await hospital.key(Role.DISPLAY)

    problem(await gw.post("/api/v1/tokens", json=booking), 401, "unauthorized")
    problem(await gw.post("/api/v1/tokens", headers=display, json=booking), 403, "forbidden")
    problem(await gw.post("/api/v1/tokens", headers=admin, json={}), 422, "validation_error")
    problem(await gw.get("/api/v1/nowhere", headers=admin), 404, "not_found")
    problem(await gw.get("/api/v1/tokens", headers=admin), 405, "method_not_allowed")
    problem(await gw.post("/api/v1/tokens", headers=admin, content=b"x" * 70_000), 413,
            "too_large")
    problem(await gw.post("/api/v1/tokens", headers={**admin, "Idempotency-Key": "k" * 201},
                          json=booking), 422, "validation_error")
    full = problem(await gw.post("/api/v1/tokens", headers=admin, json=booking), 409,
                   "slot_full")
    unknown = problem(await gw.post("/api/v1/tokens/99999999/cancel", headers=admin), 404,
                      "not_found")

    assert "alternatives" in full and full["detail"].startswith(f"slot {slot['id']}")
    assert "99999999" in unknown["detail"]


async def test_the_read_services_refuse_in_problem_details(hospital):
    qv, an, admin = hospital.queue_view, hospital.analytics, hospital.admin
    desk = await hospital.key(Role.DESK)

    problem(await qv.get("/api/v1/slots"), 401, "unauthorized")
    problem(await qv.get("/api/v1/admin/progress", headers=desk), 403, "forbidden")
    problem(await qv.get("/api/v1/tokens/99999999", headers=admin), 404, "not_found")
    problem(await qv.get("/api/v1/slots?date=someday", headers=admin), 422, "validation_error")
    problem(await qv.get("/api/v1/slots?cursor=nope", headers=admin), 400, "bad_request")
    problem(await an.get("/api/v1/analytics/doctors", headers=desk), 403, "forbidden")
    problem(await an.get("/api/v1/analytics/slots/99999999", headers=admin), 404, "not_found")
    problem(await an.get("/api/v1/analytics/tokens/99999999/history", headers=admin), 404,
            "not_found")


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
async def test_the_probes_keep_their_own_shape(hospital, path):
    answer = await hospital.queue_view.get(path)

    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["status"] in ("ok", "ready")
