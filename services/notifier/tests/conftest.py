"""Notifier test helpers: the service on the real broker and database with a fixed clock,
and a local stand-in HTTP server playing both the channel app's webhook and MSG91."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from notifier.main import create_app
from notifier.settings import NotifierSettings
from opd_contracts import DoctorRecord, SlotRecord, TokenRecord
from opd_contracts.vocabulary import Source
from opd_shared.testing import DoctorEvents, EventPublisher, asgi_client, eventually

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2030, 1, 15)
SECRET = "webhook-secret-0123456789abcdef"
_ids = itertools.count(random.randrange(10**6, 10**9, 10**6))


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), IST)


class Clock:
    """The hospital's clock as a test sets it; it runs on from there, as clocks do, so
    retries fall due."""

    def __init__(self) -> None:
        self.now = at("09:00")

    @property
    def now(self) -> dt.datetime:
        return self._set + dt.timedelta(seconds=time.monotonic() - self._at)

    @now.setter
    def now(self, value: dt.datetime) -> None:
        self._set, self._at = value, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.now


class Hall(DoctorEvents):
    """One doctor's events: a 09:00-10:00 slot of six places (10 minutes each) on DAY."""

    def __init__(self) -> None:
        super().__init__(next(_ids), at("08:00"))
        self.numbers = itertools.count(1)

    def doctor(self) -> DoctorRecord:
        return DoctorRecord(id=self.doctor_id, name=f"Dr {self.doctor_id}",
                            specialization="ENT", room="12", created_at=self.now)

    def slot(self, start: str = "09:00", end: str = "10:00", **fields: Any) -> SlotRecord:
        return self.slot_record(next(_ids), date=DAY, start_time=dt.time.fromisoformat(start),
                                end_time=dt.time.fromisoformat(end), max_capacity=6, **fields)

    def token(self, slot: SlotRecord, channel: str | None = "web-app", **fields: Any
              ) -> TokenRecord:
        number = next(self.numbers)
        return self.token_record(slot, Source.WALK_IN, number, **{
            "id": next(_ids), "patient_phone": f"98450 {number:05d}", "channel": channel,
            "ticket": secrets.token_urlsafe(16), **fields})


@dataclass
class StandIn:
    """What the stand-in server received: webhooks per path, and SMS requests."""

    url: str
    calls: list[tuple[str, dict[str, str], bytes, float]] = field(default_factory=list)

    def to(self, path: str) -> list[tuple[dict[str, str], bytes, float]]:
        return [(headers, body, when) for p, headers, body, when in self.calls if p == path]


@pytest.fixture(scope="module")
async def standin() -> AsyncIterator[StandIn]:
    loop = asyncio.get_running_loop()
    record: list[tuple[str, dict[str, str], bytes, float]] = []

    async def receive(request: Request) -> Response:
        record.append((request.url.path, dict(request.headers), await request.body(),
                       loop.time()))
        if request.url.path == "/fail":
            return Response("broken", status_code=500)
        if request.url.path == "/msg91":
            return JSONResponse({"type": "success", "message": "3763646c3058313530363730"})
        return Response(status_code=204)

    app = Starlette(routes=[Route(p, receive, methods=["POST"]) for p in ("/hook", "/fail",
                                                                          "/msg91")])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    yield StandIn(f"http://127.0.0.1:{port}", record)
    server.should_exit = True
    await task


@dataclass
class Notifier(EventPublisher):
    settings: NotifierSettings
    http: httpx.AsyncClient
    clock: Clock
    app: Any
    exchange: aio_pika.abc.AbstractExchange
    mandatory: bool = False

    def client(self, headers: dict[str, str]) -> httpx.AsyncClient:
        return asgi_client(self.app, "notifier", headers)

    async def notifications(self, token_id: int) -> list[dict[str, Any]]:
        answer = await self.http.get("/api/v1/notifications", params={"token_id": token_id})
        assert answer.status_code == 200, answer.text
        return list(reversed(answer.json()))

    async def settled(self, token_id: int, until: Callable[[list[dict]], bool],
                      seconds: float = 15) -> list[dict[str, Any]]:
        return await eventually(lambda: self.notifications(token_id), until, seconds)


@pytest.fixture(scope="module")
def start_notifier(infra: Any, standin: StandIn):
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Notifier]:
        settings = infra.settings(NotifierSettings, infra.namespace("nt"), **{
            "webhooks": {"web-app": f"{standin.url}/hook", "broken-app": f"{standin.url}/fail"},
            "webhook_secret": SECRET, "sms_provider": "msg91",
            "msg91_url": f"{standin.url}/msg91", "msg91_authkey": "test-authkey",
            "msg91_template_id": "tmpl-1", "notify_ahead": 2, "notify_minutes": 15,
            "max_tries": 3, "retry_base_seconds": 0.2, "send_poll_seconds": 0.05,
            "public_url": "https://opd.example.org", **overrides})
        clock = Clock()
        app = create_app(settings, clock=clock)
        async with app.router.lifespan_context(app), asgi_client(
            app, "notifier", infra.admin_headers) as http:
            connection = await aio_pika.connect(settings.amqp_url)
            async with connection:
                channel = await connection.channel()
                exchange = await settings.topology.declare_events(channel)
                yield Notifier(settings=settings, http=http, clock=clock, app=app,
                               exchange=exchange)

    return start


@pytest.fixture(scope="module")
async def notifier(start_notifier) -> AsyncIterator[Notifier]:
    async with start_notifier() as running:
        yield running


@pytest.fixture
def hall() -> Hall:
    return Hall()
