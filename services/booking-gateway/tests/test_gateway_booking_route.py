"""POST /api/v1/tokens is declared on the app itself (`tokens.add_booking_route`), not on
the tokens router, so the app's router reaches it without passing through the included
router (booking_gateway.routes.tokens). Nothing a client sees may differ from the gateway
whose booking route was the first of the tokens router's: the same OpenAPI document, and
the same answer (status, body, headers) to good and bad bookings, to every decision the
bus can bring (201, 409, 202, 503), to other methods on the path, and to the paths beside
it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from booking_gateway import main
from booking_gateway.admission import Overloaded
from booking_gateway.hot_route import HotRoute
from booking_gateway.routes import tokens
from booking_gateway.settings import GatewaySettings
from opd_contracts import CommandEnvelope, ErrorCode, Reply
from opd_shared.access import Role
from opd_shared.testing import serving

BOOKING = {"patient_name": "Asha", "patient_phone": "+91 98450 00000", "doctor_id": 1,
           "slot_id": 4096, "source": "online"}
REQUESTS = [  # (method, path, extra headers, body); the body None: none sent
    ("POST", "/api/v1/tokens", {}, BOOKING),
    ("POST", "/api/v1/tokens?emergency=true", {}, BOOKING),
    ("POST", "/api/v1/tokens", {}, {**BOOKING, "patient_name": "full"}),
    ("POST", "/api/v1/tokens", {}, {**BOOKING, "patient_name": "late"}),
    ("POST", "/api/v1/tokens", {}, {**BOOKING, "patient_name": "shed"}),
    ("POST", "/api/v1/tokens", {}, {**BOOKING, "slot_id": -1}),
    ("POST", "/api/v1/tokens", {}, "not json"),
    ("POST", "/api/v1/tokens", {"Authorization": "Bearer opd_not-a-real-key"}, BOOKING),
    ("POST", "/api/v1/tokens", {"Idempotency-Key": "k" * 201}, BOOKING),
    ("GET", "/api/v1/tokens", {}, None),
    ("PUT", "/api/v1/tokens", {}, BOOKING),
    ("HEAD", "/api/v1/tokens", {}, None),
    ("POST", "/api/v1/tokens/", {}, BOOKING),
    ("POST", "/api/v1/tokensx", {}, BOOKING),
    ("POST", "/api/v1/tokens/7/cancel", {}, None),
    ("GET", "/api/v1/tokens/7", {}, None),
]


def _as_declared_on_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, create_app declares the booking route as it did before: the first of
    the tokens router's routes (on a copy of the router, the module's own left as it is)."""
    router = tokens.router
    declared = APIRouter(prefix=router.prefix, tags=router.tags,
                         dependencies=router.dependencies)
    declared.add_api_route("", **tokens.BOOKING)
    declared.routes.extend(router.routes)
    monkeypatch.setattr(tokens, "router", declared)
    monkeypatch.setattr(tokens, "add_booking_route", lambda app: None)


def test_the_booking_route_is_the_apps_own_first_route():
    app = main.create_app(GatewaySettings(namespace="booking_route_unused"))

    first = app.router.routes[0]

    assert isinstance(first, HotRoute)
    assert (first.path, first.methods) == ("/api/v1/tokens", {"POST"})


def test_the_openapi_document_is_the_one_made_with_the_route_on_the_tokens_router(
        monkeypatch):
    settings = GatewaySettings(namespace="booking_route_unused")
    served = main.create_app(settings)
    _as_declared_on_the_router(monkeypatch)

    before = main.create_app(settings)

    assert json.dumps(served.openapi()) == json.dumps(before.openapi())  # the order too


@pytest.fixture
async def gateways(infra, monkeypatch) -> AsyncIterator[tuple[Any, Any, str]]:
    """The gateway as served and as it was declared before, one key for both."""
    settings = infra.settings(GatewaySettings, infra.namespace("route"))
    served = main.create_app(settings)
    _as_declared_on_the_router(monkeypatch)
    before = main.create_app(settings)
    async with serving(served) as first, serving(before) as second:
        for app in (served, before):
            app.state.runtime.bus.send = _answered_at_once
        _, key = await served.state.guard.store.create("route-desk", Role.DESK)
        yield first.app, second.app, key


async def _answered_at_once(envelope: CommandEnvelope, wait_s: float) -> Reply | None:
    """The bus's outcome the patient's name asks for: the slot full (409), no decision in
    time (202), admission at capacity (503), else booked."""
    name = getattr(envelope.command, "patient_name", None)
    if name == "full":
        return Reply(command_id=envelope.command_id, ok=False, code=ErrorCode.SLOT_FULL,
                     detail="slot 4096 is full")
    if name == "late":
        return None
    if name == "shed":
        raise Overloaded(3)
    return Reply(command_id=envelope.command_id, ok=True,
                 result={"id": 1, "fingerprint": envelope.fingerprint})


async def _answer(app: Any, key: str, number: int, method: str, path: str,
                  headers: dict[str, str], body: Any) -> tuple[int, str, list[Any]]:
    sent = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"route-{number}",
            "Content-Type": "application/json", **headers}
    content = None if body is None else body.encode() if isinstance(body, str) else \
        json.dumps(body).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as client:
        answer = await client.request(method, path, content=content, headers=sent)
    return answer.status_code, answer.text, sorted(answer.headers.items())


async def test_every_request_is_answered_as_with_the_route_on_the_tokens_router(gateways):
    served, before, key = gateways

    answers = [await _answer(served, key, n, *request) for n, request in enumerate(REQUESTS)]

    assert answers == [await _answer(before, key, n, *request)
                       for n, request in enumerate(REQUESTS)]
    assert [status for status, _, _ in answers] == [
        201, 201, 409, 202, 503, 422, 422, 401, 422, 405, 405, 405, 307, 404, 200, 404]
