"""The door's refusals are kept encoded (booking_gateway.door): each is still the problem
its own request would have been answered with, its own path as the instance, past the
number of answers kept too. The door is the app's outermost layer, its refusals dressed as
the app's layers would have dressed them. (The door in a running gateway:
test_gateway_shedding.py.)"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx

from booking_gateway import door
from booking_gateway.admission import Admission, Overloaded
from booking_gateway.door import Door
from booking_gateway.main import create_app
from booking_gateway.settings import GatewaySettings
from opd_contracts.vocabulary import ErrorCode
from opd_shared.problems import PROBLEM_JSON, problem


async def _passed(scope: dict, receive: Any, send: Any) -> None:
    raise AssertionError("a refused request reached the app")


def _refusing_door(wait_budget_s: float) -> tuple[Door, SimpleNamespace]:
    admission = Admission(max_in_flight=1, wait_budget_s=wait_budget_s)
    admission.in_flight = 1
    app = SimpleNamespace(state=SimpleNamespace(
        runtime=SimpleNamespace(bus=SimpleNamespace(admission=admission))))
    return Door(_passed), app


async def _answer(gate: Door, app: Any, path: str) -> tuple[int, dict[str, str], dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    await gate({"type": "http", "method": "POST", "path": path, "app": app}, None, send)
    start, body = sent
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    assert int(headers["content-length"]) == len(body["body"])
    return start["status"], headers, json.loads(body["body"])


def _expected(retry_after: int, path: str) -> dict:
    return problem(503, ErrorCode.UNAVAILABLE, str(Overloaded(retry_after)), path)


async def test_each_refusal_is_its_own_paths_problem_however_often_it_is_made(monkeypatch):
    monkeypatch.setattr(door, "_answers", {})
    gate, app = _refusing_door(wait_budget_s=0.25)
    paths = ["/api/v1/tokens", "/api/v1/slots", "/api/v1/tokens", "/api/v1/tokens/7/cancel"]

    answers = [await _answer(gate, app, path) for path in paths]

    assert [body for _, _, body in answers] == [_expected(1, path) for path in paths]
    assert {(status, headers["retry-after"], headers["content-type"])
            for status, headers, _ in answers} == {(503, "1", PROBLEM_JSON)}


async def test_past_the_answers_kept_refusals_are_made_afresh_and_still_right(monkeypatch):
    monkeypatch.setattr(door, "_answers", {})
    monkeypatch.setattr(door, "ANSWERS_KEPT", 2)
    gate, app = _refusing_door(wait_budget_s=2.5)
    paths = [f"/api/v1/tokens/{n}/start" for n in range(4)]

    answers = [await _answer(gate, app, path) for path in paths]

    assert [body for _, _, body in answers] == [_expected(3, path) for path in paths]
    assert len(door._answers) == 2


async def test_the_door_is_the_apps_outermost_layer_and_its_refusal_wears_the_security_headers(
        monkeypatch):
    """Refused before any of FastAPI's layers and the service's, answered as they would
    have answered: the problem, Retry-After and the security headers every answer wears."""
    monkeypatch.setattr(door, "_answers", {})
    app = create_app(GatewaySettings(namespace="unit"))
    _, refusing = _refusing_door(wait_budget_s=0.25)
    app.state.runtime = refusing.state.runtime  # as the lifespan leaves it, refusing
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as client:
        refused = [await client.post("/api/v1/tokens", content=b"{not json") for _ in range(2)]
        read = await client.get("/api/v1/nothing-here")

    assert isinstance(app.middleware_stack, Door)
    for answer in refused:
        assert (answer.status_code, answer.json()) == (503, _expected(1, "/api/v1/tokens"))
        assert {name: answer.headers[name] for name in (
            "retry-after", "content-type", "x-content-type-options", "referrer-policy",
            "x-frame-options")} == {
            "retry-after": "1", "content-type": PROBLEM_JSON, "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer", "x-frame-options": "DENY"}
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert refused[0].headers.raw == refused[1].headers.raw  # made once, kept
    assert read.status_code == 404  # reads pass the door
    assert read.headers["x-frame-options"] == "DENY"
