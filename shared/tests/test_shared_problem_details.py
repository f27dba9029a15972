"""Every way a request can be refused answers RFC 9457 problem details: the members the RFC
names, `application/problem+json`, and the `detail` and `code` that clients already read."""

from __future__ import annotations

from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from opd_contracts.vocabulary import ErrorCode
from opd_shared.app import service_app
from opd_shared.http import ApiError
from opd_shared.problems import PROBLEM_JSON
from opd_shared.settings import ServiceSettings


class Example(ServiceSettings):
    service: ClassVar[str] = "example"


class Item(BaseModel):
    name: str


def _app() -> FastAPI:
    app = service_app(Example(_env_file=None))  # type: ignore[call-arg]

    @app.get("/refused/{status}")
    async def refused(status: int) -> None:
        codes = {401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN,
                 404: ErrorCode.NOT_FOUND, 409: ErrorCode.SLOT_FULL,
                 429: ErrorCode.RATE_LIMITED, 503: ErrorCode.UNAVAILABLE}
        raise ApiError(status, codes[status], f"refused with {status}",
                       headers={"Retry-After": "7"})

    @app.get("/framework")
    async def framework() -> None:
        raise HTTPException(404, "nothing here")

    @app.get("/replied")
    async def replied() -> JSONResponse:  # as the gateway answers an allocator's refusal
        return JSONResponse({"detail": "slot 1 is full", "code": "slot_full",
                             "alternatives": [{"id": 2}]}, status_code=409)

    @app.get("/probe")
    async def probe() -> JSONResponse:  # as /readyz answers: a status of its own
        return JSONResponse({"status": "not_ready", "detail": "broker away",
                             "code": "not_ready"}, status_code=503)

    @app.post("/items")
    async def items(item: Item, request: Request) -> dict:
        return {"name": item.name, "size": len(await request.body())}

    @app.get("/database-away")
    async def away() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError())

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def _is_problem(answer: httpx.Response, code: str) -> dict:
    assert answer.headers["content-type"] == PROBLEM_JSON, answer.text
    body = answer.json()
    assert body["type"] == f"tag:opd-tokens,2026:problems/{code}"
    assert body["title"] == code.replace("_", " ").capitalize()
    assert body["status"] == answer.status_code
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == answer.request.url.path
    return body


@pytest.mark.parametrize(("status", "code"), [
    (401, "unauthorized"), (403, "forbidden"), (404, "not_found"), (409, "slot_full"),
    (429, "rate_limited"), (503, "unavailable")])
async def test_a_refusal_raised_anywhere_is_a_problem_keeping_its_sentence_and_headers(
        client, status, code):
    answer = await client.get(f"/refused/{status}")

    body = _is_problem(answer, code)
    assert answer.status_code == status and body["detail"] == f"refused with {status}"
    assert answer.headers["Retry-After"] == "7"
    assert answer.headers["x-content-type-options"] == "nosniff"  # still inside the headers


async def test_framework_refusals_are_problems(client):
    unknown = await client.get("/no/such/path")
    raised = await client.get("/framework")
    wrong_method = await client.delete("/framework")
    unparsable = await client.post("/items", content=b"{not json",
                                   headers={"content-type": "application/json"})

    assert _is_problem(unknown, "not_found")["detail"] == "Not Found"
    assert _is_problem(raised, "not_found")["detail"] == "nothing here"
    assert wrong_method.status_code == 405
    _is_problem(wrong_method, "method_not_allowed")
    assert unparsable.status_code == 422
    _is_problem(unparsable, "validation_error")


async def test_invalid_input_is_a_422_problem_that_keeps_each_field_error(client):
    answer = await client.post("/items", json={"name": 5})

    body = _is_problem(answer, "validation_error")
    assert answer.status_code == 422
    assert body["detail"] == "name: Input should be a valid string"
    assert body["errors"] == [{"loc": ["body", "name"], "msg": "Input should be a valid string"}]


async def test_a_body_made_elsewhere_keeps_its_extension_members(client):
    answer = await client.get("/replied")

    body = _is_problem(answer, "slot_full")
    assert body["alternatives"] == [{"id": 2}] and body["detail"] == "slot 1 is full"


async def test_the_guards_answers_are_problems_too(client):
    too_large = await client.post("/items", content=b"x" * (64 * 1024 + 1))
    away = await client.get("/database-away")

    assert too_large.status_code == 413 and away.status_code == 503
    _is_problem(too_large, "too_large")
    _is_problem(away, "unavailable")
    assert away.headers["Retry-After"] == "5"


async def test_an_unexpected_error_is_a_500_problem_that_says_nothing_of_the_bug(client):
    answer = await client.get("/bug")

    body = _is_problem(answer, "internal_error")
    assert answer.status_code == 500 and "a bug" not in answer.text
    assert "Idempotency-Key" in body["detail"]


async def test_success_and_a_probe_with_a_status_of_its_own_pass_untouched(client):
    ok = await client.post("/items", json={"name": "x"})
    probe = await client.get("/probe")

    assert ok.headers["content-type"] == "application/json" and ok.json()["name"] == "x"
    assert probe.headers["content-type"] == "application/json"
    assert probe.json() == {"status": "not_ready", "detail": "broker away", "code": "not_ready"}


def test_the_openapi_document_gives_every_error_answer_the_problem_media_type():
    document = _app().openapi()

    errors = {(path, method, status): list(answer.get("content", {}))
              for path, methods in document["paths"].items()
              for method, operation in methods.items()
              for status, answer in operation["responses"].items() if status[0] in "45"}
    assert errors, "the example app documents its 422s"
    assert {tuple(types) for types in errors.values()} == {(PROBLEM_JSON,)}
