"""Analytics' test fixtures: a running service on the real broker and database, and a tiny
factory of allocator events (one doctor's history, numbered as the allocator numbers it)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aio_pika
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.bootstrap import Clock, Runtime, utc_now
from analytics.database import MIGRATIONS_DIR, create_engine, create_session_factory
from analytics.main import create_app
from analytics.rollup_tables import ROLLUPS
from analytics.settings import AnalyticsSettings
from analytics.tables import EventFact
from opd_contracts import DoctorRecord, EventEnvelope, EventType, SlotRecord, TokenRecord
from opd_contracts.vocabulary import Source, TokenStatus
from opd_shared.database import migrate
from opd_shared.testing import DoctorEvents, EventPublisher, eventually

T = TypeVar("T")
NOW = dt.datetime(2026, 1, 30, 8, 0, tzinfo=dt.UTC)
_ids = itertools.count(1000)  # unique across the session, so no test meets another's records


class DoctorHistory(DoctorEvents):
    """One doctor's events with `seq` 1, 2, 3 ..., built from records the test can read."""

    def __init__(self, *, is_active: bool = True) -> None:
        super().__init__(next(_ids), NOW)
        self.doctor = DoctorRecord(id=self.doctor_id, name=f"Dr. {self.doctor_id}",
                                   specialization="General", is_active=is_active,
                                   created_at=NOW)

    def registered(self) -> EventEnvelope:
        return self.event(EventType.DOCTOR_REGISTERED, doctor=self.doctor)

    def slot(self, day: dt.date, capacity: int, start: int = 9) -> SlotRecord:
        return self.slot_record(next(_ids), date=day, start_time=dt.time(start),
                                end_time=dt.time(start + 1), max_capacity=capacity)

    def opened(self, slot: SlotRecord) -> EventEnvelope:
        return self.event(EventType.SLOT_OPENED, slots=[slot])

    def token(self, slot: SlotRecord, source: Source, **fields: Any) -> TokenRecord:
        return self.token_record(slot, source, next(_ids), patient_phone="9800000000",
                                 **fields)

    def allocated(self, token: TokenRecord, slot: SlotRecord) -> EventEnvelope:
        return self.event(EventType.TOKEN_ALLOCATED, tokens=[token], slots=[slot])

    def changed(
        self, token: TokenRecord, status: TokenStatus, slot: SlotRecord | None = None
    ) -> tuple[TokenRecord, EventEnvelope]:
        """The token in its new status, and the event saying so (with the slot, if it moved)."""
        after = token.model_copy(update={"status": status})
        event = self.event(EventType.TOKEN_STATUS_CHANGED, tokens=[after],
                           slots=[slot] if slot else [], previous_status=token.status)
        return after, event


    @staticmethod
    def held(slot: SlotRecord, count: int, overflow: int = 0) -> SlotRecord:
        """The slot's snapshot once `count` tokens hold a place in it."""
        return slot.model_copy(update={"current_count": count, "overflow_count": overflow})


class Service(EventPublisher):
    """A running analytics service, the HTTP client to it, and a publisher of events."""

    def __init__(
        self, app: Any, client: httpx.AsyncClient, exchange: aio_pika.abc.AbstractExchange
    ) -> None:
        super().__init__(exchange, mandatory=True)  # an event no queue takes fails the test
        self.app, self.client = app, client

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime

    async def facts(self) -> int:
        async with self.runtime.sessions() as session:
            return await session.scalar(select(func.count()).select_from(EventFact)) or 0

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(f"/api/v1/analytics{path}")

    @staticmethod
    async def eventually(
        probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 30.0
    ) -> T:
        """Probe until `done` or the deadline; return the last answer for the test to assert."""
        return await eventually(probe, done, within)


@asynccontextmanager
async def running(
    settings: AnalyticsSettings, clock: Clock, headers: dict[str, str]
) -> AsyncIterator[Service]:
    app = create_app(settings, clock=clock)
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection, app.router.lifespan_context(app):
        channel = await connection.channel(on_return_raises=True)
        exchange = await settings.topology.declare_events(channel)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://analytics",
                                     headers=headers) as client:
            yield Service(app, client, exchange)


@pytest.fixture
def start_analytics(infra: Any) -> Callable[..., Any]:
    """`async with start_analytics(batch_max=1) as service:` on a fresh namespace.

    Its client sends the admin key, unless the test passes other `headers`.
    """

    def start(clock: Clock = utc_now, headers: dict[str, str] | None = None,
              **overrides: Any) -> Any:
        settings = infra.settings(AnalyticsSettings, infra.namespace("an"), **overrides)
        return running(settings, clock, infra.admin_headers if headers is None else headers)

    return start


@pytest.fixture
async def sessions(infra: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database of its own, without broker or HTTP, for projection tests."""
    settings = infra.settings(AnalyticsSettings, infra.namespace("an"))
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = create_engine(settings.database_url, pool_size=2)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def history() -> Callable[..., DoctorHistory]:
    return DoctorHistory


async def _rollup_counts(session: Any) -> Counter[Any]:
    """The roll-up tables as (table, key, column) -> count, zeros left out."""
    counts: Counter[Any] = Counter()
    for name, model in ROLLUPS.items():
        table = model.__table__
        keys = [c.name for c in table.primary_key.columns]
        for row in (await session.execute(select(table))).mappings():
            for column in (c.name for c in table.columns if not c.primary_key):
                if row[column]:
                    counts[name, tuple(row[k] for k in keys), column] = row[column]
    return counts


@pytest.fixture
def rollup_counts() -> Callable[[Any], Awaitable[Counter[Any]]]:
    """`await rollup_counts(session)`: what the roll-up tables hold now."""
    return _rollup_counts
