"""What the purge test starts from: in every store, one visit past the retention and one
just inside it, written as the services write them; and dead letters old, recent and junk,
and a batch of events deflated as the relay sends them."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import aio_pika
import asyncpg

from allocator.main import MIGRATIONS as ALLOCATOR
from analytics.database import MIGRATIONS_DIR as ANALYTICS
from opd_contracts import EventBatch, EventEnvelope, Reply, SlotRecord, TokenRecord
from opd_ops.dsn import server_dsn
from opd_shared.database import migrate
from opd_shared.messaging import DEFLATE, deflated
from opd_shared.settings import ServiceSettings
from queue_view.bootstrap import MIGRATIONS_DIR as QUEUE_VIEW

TODAY = dt.date(2026, 3, 31)  # with 30 days kept, visits before 1 March are purged
DECIDED_LONG_AGO = dt.datetime(2026, 2, 20, 10, tzinfo=dt.UTC)
DECIDED_LATELY = dt.datetime(2026, 3, 30, 10, tzinfo=dt.UTC)
OLD = TokenRecord(id=11, token_number="D1-0228-1", patient_name="Old Olga", patient_phone=
                  "9800000011", doctor_id=1, slot_id=1, source="online", status="completed",
                  priority_score=1, sequence_number=1, notes="Olga's knee",
                  abha_number="91-1111-2222-3333",
                  allocated_at=dt.datetime(2026, 2, 27, 9, tzinfo=dt.UTC))
RECENT = OLD.model_copy(update={"id": 12, "token_number": "D1-0301-1", "slot_id": 2,
                                "patient_name": "Recent Rita", "patient_phone": "9800000012",
                                "notes": "Rita's cough", "abha_number": "91-4444-5555-6666"})
SLOTS = [SlotRecord(id=1, doctor_id=1, date=dt.date(2026, 2, 28), start_time=dt.time(9),
                    end_time=dt.time(10), max_capacity=5, current_count=1),
         SlotRecord(id=2, doctor_id=1, date=dt.date(2026, 3, 1), start_time=dt.time(9),
                    end_time=dt.time(10), max_capacity=5, current_count=1)]
EVENT = EventEnvelope(event_id=uuid.uuid4(), type="token.allocated", doctor_id=1, seq=1,
                      occurred_at=dt.datetime(2026, 2, 27, 9, tzinfo=dt.UTC), slots=SLOTS,
                      tokens=[OLD, RECENT])


async def _insert(conn: asyncpg.Connection, table: str, **row: object) -> None:
    names = {r[0] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table)}
    row = {k: v for k, v in {"version": 1, **row}.items() if k in names}
    await conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                       f"({', '.join(f'${i + 1}' for i in range(len(row)))})", *row.values())


async def _seed_tables(conn: asyncpg.Connection, service: str) -> None:
    if service == "allocator":
        await _insert(conn, "doctors", id=1, name="Dr. One", specialization="GM", is_active=True,
                      created_at=OLD.allocated_at, last_event_seq=1)
    for slot in SLOTS:
        await _insert(conn, "slots", **{**slot.model_dump(), "start_time": slot.start_time,
                                        "end_time": slot.end_time}, last_sequence=1)
    for token, slot in zip((OLD, RECENT), SLOTS, strict=True):
        await _insert(conn, "tokens", **token.model_dump(), day=slot.date, specialization="GM")


async def seed(settings: ServiceSettings) -> None:
    server = server_dsn(settings.postgres_url)
    for service, migrations in (("allocator", ALLOCATOR), ("queue_view", QUEUE_VIEW),
                                ("analytics", ANALYTICS)):
        url = f"{settings.postgres_url}/{settings.namespace}_{service}"
        await migrate(url, migrations)
        conn = await asyncpg.connect(f"{server}/{settings.namespace}_{service}")
        try:
            await _seed_tables(conn, service)
            if service == "allocator":
                # Decided before the cutoff (forgotten whole), and lately (kept, redacted).
                for token, decided in ((OLD, DECIDED_LONG_AGO), (OLD, DECIDED_LATELY),
                                       (RECENT, DECIDED_LATELY)):
                    reply = Reply(command_id=uuid.uuid4(), ok=True, result=token.model_dump(
                        mode="json"))
                    await conn.execute("INSERT INTO inbox VALUES ($1, 'f', $2::jsonb, $3)",
                                       reply.command_id, reply.model_dump_json(), decided)
                await conn.execute("INSERT INTO outbox (partition, routing_key, event, "
                                   "created_at) VALUES (0, 'token.allocated', $1::jsonb, now())",
                                   EVENT.model_dump_json())
            if service == "analytics":
                await conn.execute("INSERT INTO event_facts (event_id, type, doctor_id, seq, "
                                   "occurred_at, payload) VALUES ($1, 'token.allocated', 1, 1,"
                                   " now(), $2::jsonb)", EVENT.event_id, EVENT.model_dump_json())
        finally:
            await conn.close()


def _command(issued: str, name: str) -> bytes:
    return json.dumps({"command_id": str(uuid.uuid4()), "issued_at": issued, "fingerprint": "f",
                       "command": {"type": "book_token", "doctor_id": 1, "slot_id": 1,
                                   "patient_name": name, "patient_phone": "9800000099",
                                   "source": "online", "notes": "by the window",
                                   "abha_number": "91-7777-8888-9999"}}).encode()


DEAD = {"old": _command("2026-02-20T10:00:00+00:00", "Dead Dora"),
        "recent": _command("2026-03-10T10:00:00+00:00", "Dead Rita"), "junk": b"\xff Dead Junk"}
# Sent deflated, as the relay sends them: a batch from before the cutoff, one from after.
DEAD_EVENTS = {when: EventBatch(events=[EVENT.model_copy(update={
    "event_id": uuid.uuid4(), "occurred_at": at})]).model_dump_json().encode()
    for when, at in (("old", EVENT.occurred_at), ("recent", DECIDED_LATELY))}


async def seed_dead_letters(settings: ServiceSettings) -> None:
    async with await aio_pika.connect(settings.amqp_url) as connection:
        channel = await connection.channel()
        await settings.topology.declare_dead_letters(channel)
        exchange = await channel.get_exchange(settings.topology.dead_letter_exchange)
        for body in DEAD.values():
            await exchange.publish(aio_pika.Message(body, headers={"x-opd-reason": "why"}),
                                   routing_key="dead")
        for body in DEAD_EVENTS.values():
            await exchange.publish(aio_pika.Message(deflated(body), content_encoding=DEFLATE,
                                                    headers={"x-opd-reason": "why"}),
                                   routing_key="dead")

