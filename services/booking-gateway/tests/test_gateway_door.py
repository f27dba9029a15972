"""The door's refusals are kept encoded (booking_gateway.door): each is still the problem
its own request would have been answered with, its own path as the instance, past the
number of answers kept too. (The door in a running gateway: test_gateway_shedding.py.)"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from booking_gateway import door
from booking_gateway.admission import Admission, Overloaded
from booking_gateway.door import Door
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
