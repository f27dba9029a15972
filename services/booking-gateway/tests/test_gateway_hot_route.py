"""`POST /api/v1/tokens` answered by the hot route (booking_gateway.hot_route) answers
every request as FastAPI's own handler does: the same status, body and headers, for plain
bookings and for every kind of bad one, in the same order of refusals (a bad key before a
bad body). FastAPI's own handler is the one the same app uses while a dependency is
overridden, so each request is sent twice to one gateway and the answers compared.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRouter
from starlette.requests import Request

from booking_gateway.hot_route import HotRoute
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_contracts import CommandEnvelope, Reply
from opd_shared.access import Role
from opd_shared.testing import serving

BOOKING = {"patient_name": "Asha", "patient_phone": "+91 98450 00000", "doctor_id": 1,
           "slot_id": 4096, "source": "online"}
ODD = [  # (query, headers, body), each sent with the key of the case
    ("", {}, BOOKING),
    ("", {"Idempotency-Key": ""}, BOOKING),
    ("", {"Idempotency-Key": "k" * 201}, BOOKING),
    ("", {"Idempotency-Key": "k" * 201}, {**BOOKING, "source": "vip"}),
    ("emergency=true", {}, BOOKING),
    ("emergency=maybe", {}, BOOKING),
    ("emergency=maybe", {}, {**BOOKING, "slot_id": -1}),
    ("other=1", {}, BOOKING),
    ("", {}, {**BOOKING, "source": "walk_in"}),
    ("", {}, {**BOOKING, "extra_field": 1}),
    ("", {}, {**BOOKING, "doctor_id": 2**70, "patient_phone": "call me"}),
    ("", {}, {"patient_name": "Asha"}),
    ("", {}, [1, 2, 3]),
    ("", {}, None),
    ("", {}, "not json at all"),
    ("", {}, ""),
    ("", {"Content-Type": "text/plain"}, BOOKING),
    ("", {"Content-Type": "application/json; charset=utf-8"}, BOOKING),
    ("", {"Content-Type": "application/x-www-form-urlencoded"}, "patient_name=Asha"),
    ("", {}, b"[" + b" " * 70_000 + b"]"),  # streamed, no length given: over the limit
    # Where a JSON parser may differ from `json.loads`: each answered as FastAPI answers it.
    ("", {}, '{"slot_id": 1, "patient_name": "Asha", "doctor_id": 1, "source": "online", '
             '"slot_id": 4096}'),  # a name twice: the last one counts
    ("", {}, '{"patient_name": "Asha", "doctor_id": NaN, "slot_id": 4096, "source": "online"}'),
    ("", {}, '{"patient_name": "Asha", "doctor_id": 1e400, "slot_id": 4096, '
             '"source": "online"}'),
    ("", {}, '{"patient_name": "Asha", "doctor_id": "1", "slot_id": 4096.0, '
             '"source": "online", "notes": null, "patient_phone": null}'),
    ("", {}, '{"patient_name": "Asha", "doctor_id": 1e0, "slot_id": 4096, "source": "online"}'),
    ("", {}, '{"patient_name": "A\\ud800sha", "doctor_id": 1, "slot_id": 4096, '
             '"source": "online"}'),  # a lone surrogate
    ("", {}, '{"patient_name": "A\tsha", "doctor_id": 1, "slot_id": 4096, '
             '"source": "online"}'),  # a raw tab in a string
    ("", {}, '{"patient_name": "A\\u0073ha", "doctor_id": 1, "slot_id": 4096, '
             '"source": "ONLINE"}'),
    ("", {}, json.dumps(BOOKING) + " x"),
    ("", {}, " " + json.dumps(BOOKING) + "\n"),
    ("", {}, {**BOOKING, "doctor_id": True}),
]
# Whose key the cases are sent with, and the answers they get: an online key may not book
# walk-ins or emergencies; without a good key, only a body that is not JSON comes first,
# or one streamed past the size limit (FastAPI's 400: it reads the body before all else).
KEYS = {"online": {201, 400, 403, 422}, "desk": {201, 400, 422}, "none": {400, 401, 422},
        "unknown": {400, 401, 422}, "basic": {400, 401, 422}}


@pytest.fixture(scope="module")
async def gateway(infra) -> AsyncIterator[tuple[Any, Any, dict[str, dict[str, str]]]]:
    """The app as served, the FastAPI app itself, and a key of each kind by name."""
    # Enough bad keys a minute for every case twice: a 429 would answer one of the two.
    app = create_gateway(infra.settings(GatewaySettings, infra.namespace("hot"),
                                        auth_failures_per_minute=1000))
    async with serving(app) as started:
        app.state.runtime.bus.send = _answered_at_once
        store = app.state.guard.store
        _, online = await store.create("hot-online", Role.ONLINE, channel="hot-app")
        _, desk = await store.create("hot-desk", Role.DESK)
        keys = {"online": {"Authorization": f"Bearer {online}"},
                "desk": {"Authorization": f"Bearer {desk}"}, "none": {},
                "unknown": {"Authorization": "Bearer opd_not-a-real-key"},
                "basic": {"Authorization": "Basic abc"}}
        yield started.app, app, keys


async def _answered_at_once(envelope: CommandEnvelope, wait_s: float) -> Reply:
    return Reply(command_id=envelope.command_id, ok=True,
                 result={"id": 1, "fingerprint": envelope.fingerprint,
                         "command": envelope.command.model_dump(mode="json")})


async def _answer(app: Any, key: dict[str, str], case: tuple[str, dict, Any],
                  number: int) -> tuple[int, Any, list[tuple[str, str]]]:
    query, headers, body = case
    content: Any = (_streamed(body) if isinstance(body, bytes) else body.encode()
                    if isinstance(body, str) else json.dumps(body).encode())
    sent = {"Content-Type": "application/json", "Idempotency-Key": f"case-{number}",
            **key, **headers}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as client:
        answer = await client.post(f"/api/v1/tokens?{query}" if query else "/api/v1/tokens",
                                   content=content, headers=sent)
    made_up = sent["Idempotency-Key"] == ""  # the gateway makes a key up: a new id each time
    return answer.status_code, answer.json(), sorted(
        (name, value) for name, value in answer.headers.items()
        if not (made_up and name == "x-request-id"))


async def _streamed(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 4096):
        yield body[start:start + 4096]


@pytest.mark.parametrize("who", list(KEYS))
async def test_the_hot_route_answers_every_booking_request_as_fastapi_does(gateway, who):
    app, fastapi_app, keys = gateway
    hot, general = [], []

    for number, case in enumerate(ODD):
        hot.append(await _answer(app, keys[who], case, number))
        fastapi_app.dependency_overrides[_answered_at_once] = _answered_at_once  # its own
        try:
            general.append(await _answer(app, keys[who], case, number))
        finally:
            fastapi_app.dependency_overrides.clear()

    assert hot == general
    assert {status for status, _, _ in hot} == KEYS[who]


async def test_a_plain_booking_is_answered_without_fastapis_dependency_solver(gateway,
                                                                              monkeypatch):
    app, _, keys = gateway
    solved = []
    solve = fastapi_routing.solve_dependencies

    async def counted(**arguments: Any) -> Any:
        solved.append(arguments["request"].url.path)
        return await solve(**arguments)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", counted)
    plain = await _answer(app, keys["online"], ("", {}, BOOKING), 0)
    emergency = await _answer(app, keys["desk"], ("emergency=true", {}, BOOKING), 1)
    as_text = await _answer(app, keys["online"], ("", {"Content-Type": "text/plain"}, BOOKING), 2)

    assert [plain[0], emergency[0], as_text[0]] == [201, 201, 422]
    assert solved == ["/api/v1/tokens"]  # the text body only


async def test_a_valid_booking_is_validated_from_its_json_in_one_pass(gateway, monkeypatch):
    """Not parsed by `json.loads` and then validated (booking_gateway.hot_route)."""
    app, _, keys = gateway
    parsed = []
    as_json = Request.json

    async def counted(request: Request) -> Any:
        parsed.append(request.url.path)
        return await as_json(request)

    monkeypatch.setattr(Request, "json", counted)
    plain = await _answer(app, keys["online"], ("", {}, BOOKING), 0)
    invalid = await _answer(app, keys["online"], ("", {}, {**BOOKING, "slot_id": -1}), 1)

    assert [plain[0], invalid[0]] == [201, 422]
    assert parsed == ["/api/v1/tokens"]  # the invalid one only


def test_a_route_of_another_shape_is_refused_when_it_is_built():
    router = APIRouter()

    async def with_path_parameter(token_id: int) -> None:
        return None

    with pytest.raises(ValueError, match="path"):
        router.add_api_route("/{token_id}", with_path_parameter, methods=["POST"],
                             route_class_override=HotRoute)
