"""Cross-service tests in one process: the four apps on the real broker and databases.

In-process (ASGI transports), not as processes: these tests are about what each service
answers, and starting four apps in the test's event loop takes a second, not ten.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aio_pika
import httpx
import pytest

from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from analytics.main import create_app as create_analytics
from analytics.settings import AnalyticsSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.access import Role
from opd_shared.access.store import KeyStore
from opd_shared.testing import serving
from queue_view.main import create_app as create_queue_view
from queue_view.settings import QueueViewSettings

T = TypeVar("T")
FAR_DAY = "2099-01-01"  # never over, whatever the date the suite runs on
_phones = itertools.count(1)


def new_phone() -> str:
    """A phone number no other booking in the session has (the per-phone quota)."""
    return f"+91 90000 {next(_phones):05d}"


@dataclass
class Hospital:
    gateway: httpx.AsyncClient
    queue_view: httpx.AsyncClient
    analytics: httpx.AsyncClient
    keys: KeyStore
    settings: GatewaySettings
    admin: dict[str, str]
    allocator: httpx.AsyncClient  # its private port: health and operators' replays

    async def key(self, role: Role, channel: str | None = None) -> dict[str, str]:
        _, key = await self.keys.create(f"test {role}", role, None, channel)
        return {"Authorization": f"Bearer {key}"}

    async def dead_letters(self) -> int:
        connection = await aio_pika.connect(self.settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(self.settings.topology.dead_letter_queue,
                                                passive=True)
            return queue.declaration_result.message_count or 0

    async def doctor_with_slots(self, *capacities: int, specialization: str = "ENT",
                                ) -> tuple[dict, list[dict]]:
        doctor = (await self.gateway.post("/api/v1/doctors", headers=self.admin, json={
            "name": "Dr. Test", "specialization": specialization, "room": "7"})).json()
        slots = []
        for hour, capacity in enumerate(capacities, start=9):
            slots.append((await self.gateway.post("/api/v1/slots", headers=self.admin, json={
                "doctor_id": doctor["id"], "date": FAR_DAY, "start_time": f"{hour:02d}:00",
                "end_time": f"{hour + 1:02d}:00", "max_capacity": capacity})).json())
        return doctor, slots


async def eventually(read: Callable[[], Awaitable[T]], until: Callable[[T], bool],
                     seconds: float = 10.0) -> T:
    """Read until `until(value)` or the time is up; the last value either way."""
    deadline = time.monotonic() + seconds
    while True:
        value = await read()
        if until(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def hospital(infra) -> AsyncIterator[Hospital]:
    namespace = infra.namespace("xsvc")
    settings = infra.settings(GatewaySettings, namespace)
    apps: list[Any] = [
        create_allocator(infra.settings(AllocatorSettings, namespace)),
        create_gateway(settings),
        create_queue_view(infra.settings(QueueViewSettings, namespace)),
        create_analytics(infra.settings(AnalyticsSettings, namespace)),
    ]
    async with contextlib.AsyncExitStack() as stack:
        started = [await stack.enter_async_context(serving(app)) for app in apps]
        clients = [await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=s.app), base_url="http://opd")) for s in started]
        keys = KeyStore(settings.access_database_url)
        stack.push_async_callback(keys.close)
        yield Hospital(*clients[1:], keys, settings, infra.admin_headers, clients[0])
