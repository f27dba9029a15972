"""The gateway and the allocator in this process, on the real broker and database."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from itertools import count
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from allocator.adapters.relay_connections import relay_connections
from allocator.main import MIGRATIONS
from allocator.main import create_app as create_allocator
from allocator.service_layer.decided import Handlers
from allocator.service_layer.handlers import HANDLERS
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.database import migrate
from opd_shared.testing import serving

from .desk import Desk

_names = count(1)
HOSPITAL = ZoneInfo("Asia/Kolkata")


def hospital_now() -> dt.datetime:
    return dt.datetime.now(HOSPITAL)


def hospital_today() -> dt.date:
    return hospital_now().date()


@contextlib.asynccontextmanager
async def running(infra, handlers: Handlers = HANDLERS,
                  **allocator_settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """An allocator (with these settings, deciding with `handlers`) and a gateway, and an
    admin client of the gateway. The gateway takes the allocator's command queues: the two
    must agree on them, or neither starts."""
    namespace = infra.namespace("alloc")
    settings = infra.settings(AllocatorSettings, namespace, **allocator_settings)
    allocator = create_allocator(settings, handlers)
    front = create_gateway(infra.settings(GatewaySettings, namespace,
                                          command_queues=settings.command_queues))
    async with serving(allocator), serving(front) as started:
        transport = httpx.ASGITransport(app=started.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway",
                                     headers=infra.admin_headers) as client:
            client.allocator_settings = settings  # type: ignore[attr-defined]
            yield client


@pytest.fixture(scope="module")
async def gateway(infra) -> AsyncIterator[httpx.AsyncClient]:
    async with running(infra) as client:
        yield client


class Api:
    """Tiny factories over the gateway, with unique names per call."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def doctor(self, specialization: str = "General Medicine") -> dict:
        response = await self.client.post("/api/v1/doctors", json={
            "name": f"Dr. Test {next(_names)}", "specialization": specialization, "room": "12"})
        assert response.status_code == 201, response.text
        return response.json()

    async def slot(self, doctor_id: int, capacity: int = 20, start: str = "09:00",
                   end: str = "10:00", days_ahead: int = 1) -> dict:
        date = (hospital_today() + dt.timedelta(days=days_ahead)).isoformat()
        response = await self.client.post("/api/v1/slots", json={
            "doctor_id": doctor_id, "date": date, "start_time": start, "end_time": end,
            "max_capacity": capacity})
        assert response.status_code == 201, response.text
        return response.json()

    async def book(self, slot: dict, source: str = "online", emergency: bool = False,
                   **extra: object) -> httpx.Response:
        body = {"patient_name": f"Patient {next(_names)}", "doctor_id": slot["doctor_id"],
                "slot_id": slot["id"], "source": source, **extra}
        return await self.client.post("/api/v1/tokens", json=body,
                                      params={"emergency": "true"} if emergency else None)


    async def post(self, path: str, expect: int | None = None, **kwargs: object) -> dict:
        response = await self.client.post(path, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture
def api(gateway: httpx.AsyncClient) -> Api:
    return Api(gateway)


@pytest.fixture
async def sessions(infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated allocator database of its own, with no allocator running."""
    settings = infra.settings(AllocatorSettings, infra.namespace("relay"))
    await migrate(settings.database_url, MIGRATIONS)
    engine = create_async_engine(settings.database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
async def relaying(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[asyncpg.Pool]:
    """The outbox relay's own connections, on the database of `sessions`."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    pool = await relay_connections(url)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def desk(infra) -> AsyncIterator[Desk]:
    """Each partition's BatchDecider, driven directly, on a database of the module's own."""
    opened = await Desk(infra.settings(AllocatorSettings, infra.namespace("desk"))).open()
    yield opened
    await opened.close()
