"""Both read models on contract version 2, with the real gateway, allocator, broker and
databases: a whole event batch delivered again changes nothing, a poison event inside a
batch fails alone while its neighbours are applied, and both read models rebuilt from the
allocator's batched history equal the ones built live."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import Text, cast, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import outbox
from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from analytics.main import create_app as create_analytics
from analytics.settings import AnalyticsSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_contracts import DoctorRecord, EventEnvelope, EventType
from opd_shared.database import new_engine
from opd_shared.messaging import ACK, DEFLATE, Outcome, deflated
from opd_shared.messaging.encoding import INFLATED_MAX
from opd_shared.retries import ATTEMPT_LIMIT
from opd_shared.testing import asgi_client, posted, serving
from queue_view.main import create_app as create_queue_view
from queue_view.rebuild import rebuild
from queue_view.settings import QueueViewSettings

from .conftest import eventually

DAY = (dt.date.today() + dt.timedelta(days=2)).isoformat()  # clear of any time zone
READ_MODELS = ("queue_view", "analytics")
# When a row was written, not what it says: a rebuild writes it again later.
WHEN_COLUMNS = {"applied_at", "recorded_at", "received_at"}


@dataclass
class System:
    gateway: httpx.AsyncClient
    allocator: httpx.AsyncClient
    runtimes: dict[str, Any]  # each read model's runtime: its sessions and its consumer
    allocator_sessions: async_sessionmaker[AsyncSession]
    amqp_url: str
    topology: Any

    async def post(self, path: str, **body: object) -> dict:
        return await posted(self.gateway, path, **body)


@pytest.fixture(scope="module")
async def system(infra) -> AsyncIterator[System]:
    """The read models first, so their queues exist before the first event is published."""
    namespace = infra.namespace("v2rm")
    view = create_queue_view(infra.settings(QueueViewSettings, namespace))
    analytics = create_analytics(infra.settings(AnalyticsSettings, namespace))
    allocator_settings = infra.settings(AllocatorSettings, namespace)
    allocator = create_allocator(allocator_settings)
    gateway = create_gateway(infra.settings(GatewaySettings, namespace))
    async with serving(view), serving(analytics), serving(
            allocator), serving(gateway):
        written = new_engine(allocator_settings.database_url)  # its outbox, read from outside
        headers = infra.admin_headers
        async with asgi_client(gateway, "gateway", headers) as front, asgi_client(
                allocator, "allocator", headers) as back:
            yield System(front, back, {"queue_view": view.state.runtime,
                                       "analytics": analytics.state.runtime},
                         async_sessionmaker(written), allocator_settings.amqp_url,
                         allocator_settings.topology)
        await written.dispose()


async def _morning(system: System) -> None:
    """Bookings arriving together (so commands, replies and events travel in batches), a
    call, a cancellation."""
    doctor = await system.post("/api/v1/doctors", name="Dr. Batch", specialization="ENT")
    slot = await system.post("/api/v1/slots", doctor_id=doctor["id"], date=DAY,
                             start_time="09:00", end_time="11:00", max_capacity=40)
    booked = await asyncio.gather(*(
        system.post("/api/v1/tokens", patient_name=f"Patient {n}", doctor_id=doctor["id"],
                    slot_id=slot["id"], source="online") for n in range(30)))
    await system.post(f"/api/v1/tokens/{booked[3]['id']}/cancel")
    await system.post(f"/api/v1/doctors/{doctor['id']}/call-next?slot_id={slot['id']}")


async def _outbox(system: System) -> list[tuple[str, str]]:
    """Every event the allocator wrote: (type, JSON text), oldest first."""
    async with system.allocator_sessions() as session:
        rows = await session.execute(select(outbox.c.routing_key, cast(outbox.c.event, Text))
                                     .order_by(outbox.c.id))
        return [(kind, body) for kind, body in rows]


async def _facts(system: System, read_model: str) -> int:
    """How many distinct events the read model applied."""
    table = "applied_events" if read_model == "queue_view" else "event_facts"
    async with system.runtimes[read_model].sessions() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")))


async def _settled(system: System) -> None:
    written = len(await _outbox(system))
    for read_model in READ_MODELS:
        applied = await eventually(lambda rm=read_model: _facts(system, rm),
                                   lambda n: n >= written, seconds=30)
        assert applied >= written, f"{read_model} applied {applied} of {written}"


async def _tables(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'alembic_version' ORDER BY tablename")))


async def _snapshot(system: System, read_model: str) -> dict[str, list[str]]:
    """Every row of every table of the read model, as sorted JSON, the when-columns out."""
    sessions = system.runtimes[read_model].sessions
    snapshot = {}
    async with sessions() as session:
        for table in await _tables(sessions):
            rows = (await session.scalars(text(f"SELECT row_to_json(t)::text FROM {table} t")))
            snapshot[table] = sorted(
                json.dumps({k: v for k, v in json.loads(row).items() if k not in WHEN_COLUMNS},
                           sort_keys=True) for row in rows)
    return snapshot


@pytest.fixture(scope="module")
async def live(system: System) -> dict[str, dict[str, list[str]]]:
    await _morning(system)
    await _settled(system)
    return {read_model: await _snapshot(system, read_model) for read_model in READ_MODELS}


class Recorded:
    """What a read model's consumer answered, per message id (wrapping its `handle`)."""

    def __init__(self, consumer: Any) -> None:
        self.consumer, self.original = consumer, consumer.handle
        self.outcomes: list[tuple[str, Outcome]] = []

    async def handle(self, deliveries):
        outcomes = await self.original(deliveries)
        self.outcomes.extend((d.message.message_id, o) for d, o in zip(deliveries, outcomes,
                                                                          strict=True))
        return outcomes

    def __enter__(self) -> Recorded:
        self.consumer.handle = self.handle
        return self

    def __exit__(self, *_: object) -> None:
        del self.consumer.handle  # the class's again

    async def count(self) -> int:
        return len(self.outcomes)

    def of(self, message_id: str) -> list[Outcome]:
        return [outcome for mid, outcome in self.outcomes if mid == message_id]


async def _publish(system: System, read_model: str, body: bytes, message_id: str,
                   content_encoding: str | None = None) -> None:
    connection = await aio_pika.connect(system.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(body, message_id=message_id, content_encoding=content_encoding,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=system.topology.consumer_queue(read_model))


def _batch_of(bodies: list[str]) -> bytes:
    return ('{"version": 2, "events": [' + ", ".join(bodies) + "]}").encode()


async def test_a_whole_event_batch_delivered_twice_changes_neither_read_model(system, live):
    history = await _outbox(system)
    bodies = [body for _, body in history][:100]
    assert len(bodies) >= 30  # registration, slot, 30 bookings, cancel, call

    for read_model in READ_MODELS:
        with Recorded(system.runtimes[read_model].consumer) as recorded:
            for copy in ("first", "second"):
                await _publish(system, read_model, _batch_of(bodies), f"again-{copy}")
            await eventually(recorded.count, lambda n: n >= 2, seconds=20)
        assert recorded.of("again-first") == [ACK] and recorded.of("again-second") == [ACK]
        assert await _snapshot(system, read_model) == live[read_model], read_model
        assert await _facts(system, read_model) == len(history)


async def test_both_read_models_rebuilt_from_batched_history_equal_the_live_ones(system, live):
    written = len(await _outbox(system))

    done = await rebuild(system.runtimes["queue_view"].sessions, system.allocator,
                         lambda line: None, interval=0.1)
    analytics = system.runtimes["analytics"].sessions
    async with analytics.begin() as session:  # analytics rebuilds from an empty database
        await session.execute(text(f"TRUNCATE {', '.join(await _tables(analytics))}"))
    with Recorded(system.runtimes["analytics"].consumer) as recorded:
        replayed = await system.allocator.post("/admin/replay/analytics")
        await _settled(system)

    assert done.applied == written and replayed.json()["events"] == written
    # The history came as batches: one message per event type here, each acked once.
    assert 1 < len(recorded.outcomes) < written // 4
    assert {outcome for _, outcome in recorded.outcomes} == {ACK}
    for read_model in READ_MODELS:
        assert await _snapshot(system, read_model) == live[read_model], read_model


def _registered(doctor_id: int) -> EventEnvelope:
    now = dt.datetime.now(dt.UTC)
    return EventEnvelope(event_id=uuid.uuid4(), type=EventType.DOCTOR_REGISTERED,
                         doctor_id=doctor_id, seq=1, occurred_at=now,
                         doctor=DoctorRecord(id=doctor_id, name=f"Dr. Neighbour {doctor_id}",
                                             specialization="ENT", created_at=now))


async def _doctors(system: System, read_model: str, ids: list[int]) -> set[int]:
    async with system.runtimes[read_model].sessions() as session:
        return set(await session.scalars(text("SELECT id FROM doctors WHERE id = ANY(:ids)"),
                                          {"ids": ids}))


async def _dead_letter(system: System, message_id: str) -> aio_pika.abc.AbstractIncomingMessage:
    connection = await aio_pika.connect(system.amqp_url)
    async with connection:
        queue = await (await connection.channel()).get_queue(
            system.topology.dead_letter_queue)

        async def found() -> aio_pika.abc.AbstractIncomingMessage | None:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                if message.message_id == message_id:
                    return message
            return None
        dead = await eventually(found, lambda m: m is not None, seconds=30)
        assert dead is not None, f"{message_id} never reached the dead-letter queue"
        return dead


@pytest.mark.parametrize("read_model", READ_MODELS)
async def test_a_poison_event_inside_a_batch_fails_alone_and_its_neighbours_are_applied(
        system, live, read_model):
    base = 9_000_000 + 100 * READ_MODELS.index(read_model)
    unreadable = {"type": "token.allocated", "doctor_id": base}  # no id, no seq
    refused = _registered(base + 1).model_copy(update={"seq": 2**63})  # bigint overflows
    neighbours = [_registered(base + 2), _registered(base + 3)]
    cases = {  # message id -> (items, the dead letter's reason)
        f"v2-unreadable-{read_model}": (
            [neighbours[0].model_dump_json(), json.dumps(unreadable)],
            "item 2 of 2: not an event: ValidationError"),
        f"v2-refused-{read_model}": (
            [refused.model_dump_json(), neighbours[1].model_dump_json()],
            f"failed {ATTEMPT_LIMIT} times; last: DBAPIError"),
    }
    before = await _facts(system, read_model)

    for message_id, (items, _) in cases.items():
        await _publish(system, read_model, _batch_of(items), message_id)
        dead = await _dead_letter(system, message_id)
        assert dead.headers["x-opd-reason"].startswith(cases[message_id][1])

    ids = [event.doctor_id for event in neighbours]
    assert await _doctors(system, read_model, ids) == set(ids)
    assert await _doctors(system, read_model, [base + 1]) == set()
    assert await _facts(system, read_model) == before + 2  # each neighbour applied once


@pytest.mark.parametrize("read_model", READ_MODELS)
async def test_a_message_marked_deflated_that_will_not_inflate_is_parked_alone(
        system, live, read_model):
    base = 9_100_000 + 100 * READ_MODELS.index(read_model)
    good = _registered(base)
    cases = {  # message id -> (body sent marked deflated, the dead letter's reason)
        f"not-deflate-{read_model}": (_batch_of([_registered(base + 1).model_dump_json()]),
                                      "not an event: BodyNotDeflated"),
        f"bomb-{read_model}": (deflated(b" " * (INFLATED_MAX + 1)),
                               "not an event: BodyTooLarge"),
    }
    before = await _facts(system, read_model)

    for message_id, (body, _) in cases.items():
        await _publish(system, read_model, body, message_id, content_encoding=DEFLATE)
    await _publish(system, read_model, deflated(_batch_of([good.model_dump_json()])),
                   f"deflated-{read_model}", content_encoding=DEFLATE)
    for message_id, (_, reason) in cases.items():
        dead = await _dead_letter(system, message_id)
        assert dead.headers["x-opd-reason"] == reason

    applied = await eventually(lambda: _doctors(system, read_model, [good.doctor_id]),
                               lambda found: found == {good.doctor_id}, seconds=20)
    assert applied == {good.doctor_id}
    assert await _doctors(system, read_model, [base + 1]) == set()
    assert await _facts(system, read_model) == before + 1
