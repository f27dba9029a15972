"""The ASGI guards: a database outage answers 503, an oversized body 413, a bug stays a bug."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.exc import OperationalError

from opd_shared.http import install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, max_body_bytes=100)

    @app.get("/database-away")
    async def away() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError())

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        return {"size": len(await request.body())}

    return app


def _client(raise_bugs: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=raise_bugs)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_a_database_outage_is_503_with_retry_after():
    async with _client() as client:
        answer = await client.get("/database-away")

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json()["code"] == "unavailable"


async def test_any_other_error_is_not_disguised_as_an_outage():
    async with _client() as client:
        with pytest.raises(RuntimeError):
            await client.get("/bug")


async def test_a_body_over_the_limit_is_413_whether_declared_or_streamed():
    async def chunks():
        for _ in range(5):
            yield b"x" * 40

    async with _client() as client:
        small = await client.post("/echo", content=b"x" * 100)
        declared = await client.post("/echo", content=b"x" * 101)
        streamed = await client.post("/echo", content=chunks())

    assert small.json() == {"size": 100}
    assert declared.status_code == streamed.status_code == 413
    assert streamed.json()["code"] == "too_large"
