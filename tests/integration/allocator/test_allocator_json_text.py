"""The outbox's events and the inbox's replies are stored as the JSON text the allocator
wrote (`json` columns, migration 0016: PostgreSQL checks the text, it does not parse it into
jsonb), and the relay sends that text as it is: the event a consumer reads from the relayed
message is the event the allocator decided."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from allocator.adapters import unit_of_work
from allocator.adapters.relay import relay_outbox
from allocator.adapters.relay_connections import relay_connections
from opd_contracts.batches import EventBatch
from opd_contracts.events import EventEnvelope
from opd_shared.messaging import body_of


class Exchange:
    """An events exchange that keeps what is published to it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def publish(self, message: aio_pika.Message, routing_key: str) -> None:
        self.bodies.append(body_of(message))


@pytest.fixture
def written(monkeypatch) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The JSON text of each event and reply the rounds hand to their write statement."""
    texts: dict[str, list[str]] = {"events": [], "replies": []}
    write_all = unit_of_work.write_all

    async def kept(driver, writes, *args, **kwargs):  # type: ignore[no-untyped-def]
        texts["events"] += [event for _, _, event, *_ in writes.events]
        texts["replies"] += [reply for _, _, reply, _ in writes.replies]
        return await write_all(driver, writes, *args, **kwargs)

    monkeypatch.setattr(unit_of_work, "write_all", kept)
    return texts


@pytest.fixture
async def connection(desk) -> AsyncIterator[asyncpg.Connection]:
    url = make_url(desk.engine.url.render_as_string(hide_password=False))
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(
        hide_password=False))
    yield connection
    await connection.close()


async def test_events_and_replies_are_stored_as_the_text_the_allocator_wrote(
        desk, written, connection):
    slot = await desk.slot(await desk.doctor(partition=3), capacity=5)
    assert (await desk.decide(desk.booking(slot))).ok

    events = await connection.fetch("SELECT event::text FROM outbox ORDER BY id")
    replies = await connection.fetch("SELECT reply::text FROM inbox")

    assert written["events"] and written["replies"]
    # Byte for byte (jsonb would have spelt them its own way: its key order, its spaces).
    assert [row[0] for row in events][-len(written["events"]):] == written["events"]
    assert {row[0] for row in replies} >= set(written["replies"])


async def test_the_relayed_event_is_the_event_the_allocator_decided(desk, written):
    slot = await desk.slot(await desk.doctor(partition=2), capacity=5)
    assert (await desk.decide(desk.booking(slot))).ok
    exchange = Exchange()

    relaying = await relay_connections(desk.engine.url.render_as_string(hide_password=False))
    try:
        await relay_outbox(relaying, exchange, partitions=[2])  # type: ignore[arg-type]
    finally:
        await relaying.close()

    relayed = [e for body in exchange.bodies for e in EventBatch.model_validate_json(body).events]
    decided = {e.event_id: e for e in map(EventEnvelope.model_validate_json, written["events"])}
    assert decided and {e.event_id for e in relayed} >= set(decided)  # all of them relayed
    assert all(decided[e.event_id] == e for e in relayed if e.event_id in decided)
