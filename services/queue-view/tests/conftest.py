"""Queue-view test helpers: an event factory, and the service running on the real broker
and database (the root `infra` fixture) with HTTP through httpx's ASGI transport."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from opd_contracts import DoctorRecord, SlotRecord, TokenRecord
from opd_contracts.vocabulary import Source
from opd_shared.access import Role
from opd_shared.access.store import KeyStore
from opd_shared.database import migrate
from opd_shared.testing import DoctorEvents, EventPublisher, asgi_client, eventually
from queue_view.bootstrap import MIGRATIONS_DIR, Runtime
from queue_view.main import create_app
from queue_view.models import DoctorProgress
from queue_view.settings import QueueViewSettings

NOW = dt.datetime(2030, 1, 15, 8, 0, tzinfo=dt.UTC)
_ids = itertools.count(random.randrange(10**6, 10**9, 10**6))  # unique per session


class EventFactory(DoctorEvents):
    """Records and events of one fresh doctor; `seq` counts up unless given."""

    def __init__(self) -> None:
        super().__init__(next(_ids), NOW)
        self._tokens = itertools.count(1)

    def doctor(self, **changes: Any) -> DoctorRecord:
        values: dict[str, Any] = {"id": self.doctor_id, "name": f"Dr {self.doctor_id}",
                                  "specialization": "cardiology", "room": "R1",
                                  "created_at": NOW}
        return DoctorRecord(**{**values, **changes})

    def slot(self, **changes: Any) -> SlotRecord:
        return self.slot_record(next(_ids), **changes)

    def token(
        self, slot: SlotRecord, source: Source = Source.WALK_IN, **changes: Any
    ) -> TokenRecord:
        number = next(self._tokens)
        return self.token_record(slot, source, number, **{
            "id": next(_ids), "allocated_at": NOW + dt.timedelta(minutes=number), **changes})


@pytest.fixture
def events() -> EventFactory:
    return EventFactory()


@pytest.fixture
def another_doctor() -> Callable[[], EventFactory]:
    """For tests of several doctors: each call, the events of one more fresh doctor."""
    return EventFactory


@dataclass
class Service(EventPublisher):
    """queue-view running with its lifespan, an HTTP client sending the admin key, and an
    event publisher."""

    settings: QueueViewSettings
    runtime: Runtime
    http: httpx.AsyncClient
    channel: aio_pika.abc.AbstractChannel
    exchange: aio_pika.abc.AbstractExchange
    app: Any
    mandatory: bool = False  # its channel does not watch returns

    def client(self, headers: dict[str, str]) -> httpx.AsyncClient:
        """Another client of the same app, sending `headers` (e.g. another key, or none)."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                 base_url="http://queue-view", headers=headers)

    async def key(self, role: Role, rate_per_minute: int | None = None,
                  channel: str | None = None) -> dict[str, str]:
        """Headers with a new API key of `role` (acting for `channel`, if given)."""
        store = KeyStore(self.settings.access_database_url)
        try:
            _, key = await store.create(f"test {role}", role, rate_per_minute, channel)
        finally:
            await store.close()
        return {"Authorization": f"Bearer {key}"}

    async def progress(self, doctor_id: int) -> tuple[int, int] | None:
        """(max_seq, applied_count) of a doctor, straight from the read model."""
        async with self.runtime.sessions() as session:
            row = await session.get(DoctorProgress, doctor_id)
            return None if row is None else (row.max_seq, row.applied_count)

    async def wait_applied(self, doctor_id: int, count: int) -> tuple[int, int] | None:
        """Wait until `count` distinct events of the doctor were applied (or the deadline)."""
        return await eventually(lambda: self.progress(doctor_id),
                                lambda seen: seen is not None and seen[1] >= count)

    async def dead_letter(self, message_id: str) -> str | None:
        """Why `message_id` was dead-lettered (x-opd-reason), once it reaches the DLQ."""
        queue = await self.channel.get_queue(self.settings.topology.dead_letter_queue)

        async def reason() -> str | None:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                if message.message_id == message_id:
                    assert message.headers["x-opd-queue"] == self.settings.topology.\
                        consumer_queue("queue_view")
                    return str(message.headers["x-opd-reason"])
            return None

        return await eventually(reason, lambda found: found is not None)

    async def get_until(self, path: str, until: Callable[[httpx.Response], bool]) -> httpx.Response:
        return await eventually(lambda: self.http.get(path), until)


@pytest.fixture(scope="module")
async def sessions(infra: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database of its own, without broker or HTTP, for projection tests."""
    settings = infra.settings(QueueViewSettings, infra.namespace("qvdb"))
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = create_async_engine(settings.database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


twin_sessions = sessions  # a second database, to compare two ways of applying


@pytest.fixture(scope="module")
def service_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
async def service(infra: Any, service_overrides: dict[str, Any]) -> AsyncIterator[Service]:
    settings = infra.settings(QueueViewSettings, infra.namespace("qv"), **service_overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app), asgi_client(
            app, "queue-view", infra.admin_headers) as http:
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await settings.topology.declare_events(channel)
            yield Service(settings, app.state.runtime, http, channel, exchange, app)
