"""What the services' tests share: one doctor's numbered events, a publisher, a wait,
which indexes another index makes redundant, and the plans a connection's statements got.

It lives in the package, not in a conftest: pytest's `--import-mode=importlib` imports each
conftest on its own, so one service's tests cannot import another's, while every test can
import a workspace package. No service imports this module.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_contracts import EventEnvelope, EventType, SlotRecord, TokenRecord
from opd_contracts.vocabulary import SOURCE_WEIGHTS, Source, TokenStatus
from opd_shared.database import Pool, new_engine

__all__ = ["DoctorEvents", "EventPublisher", "NodeProxy", "asgi_client", "covered_indexes",
           "eventually", "explaining", "plan_nodes", "posted", "serving", "table_reads",
           "via_port"]

T = TypeVar("T")

# Pairs of a non-unique index whose columns begin another index of the same table: each is
# one more entry every insert writes, for reads the longer index serves as well.
_COVERED_INDEXES = """
SELECT a.indexrelid::regclass::text, b.indexrelid::regclass::text
FROM pg_index AS a JOIN pg_index AS b
  ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid
WHERE NOT a.indisunique AND a.indpred IS NULL AND b.indpred IS NULL
  AND a.indexprs IS NULL AND b.indexprs IS NULL
  AND (b.indkey::text || ' ') LIKE (a.indkey::text || ' %')
  AND a.indrelid::regclass::text NOT LIKE 'pg_%'
"""


async def covered_indexes(session: AsyncSession) -> list[tuple[str, str]]:
    """(redundant index, the index it begins) for every such pair in the session's database."""
    rows = (await session.execute(text(_COVERED_INDEXES))).all()
    return [(covered, by) for covered, by in rows]


# Every statement's plan as a notice (auto_explain, loaded for the connection alone).
_EXPLAINED = {"session_preload_libraries": "auto_explain", "auto_explain.log_format": "json",
              "auto_explain.log_min_duration": "0", "auto_explain.log_level": "notice"}


@asynccontextmanager
async def explaining(url: str, server_settings: dict[str, str]
                     ) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], list[dict]]]:
    """Sessions on one connection set with `server_settings` (as a service's), and the
    plans of the statements it runs (auto_explain's, as JSON: "Query Text" and "Plan"),
    which arrive as notices with the statements (give the loop a moment before reading)."""
    engine = new_engine(url, Pool(1, 0), connect_args={
        "server_settings": {**server_settings, **_EXPLAINED}})
    plans: list[dict] = []

    def keep(message: Any) -> None:
        if "plan:" in message.message:
            plans.append(json.loads(message.message.split("plan:", 1)[1]))

    def listen(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_log_listener(lambda _, message: keep(message))

    sqlalchemy_event.listen(engine.sync_engine, "connect", listen)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False), plans
    finally:
        await engine.dispose()


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def table_reads(plan: dict[str, Any]) -> list[str]:
    """How the plan reads each table it reads: "<node> <index or table>", and "whole" where
    no condition narrows it."""
    return [f"{n['Node Type']} {n.get('Index Name', n.get('Relation Name'))}"
            f"{'' if 'Index Cond' in n else ' whole'}"
            for n in plan_nodes(plan) if n["Node Type"] in {
                "Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"}]


async def eventually(
    probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], seconds: float = 20.0
) -> T:
    """Probe until `until` holds or `seconds` pass; the last value either way, so the
    test's own assertion reports what was actually seen."""
    deadline = asyncio.get_running_loop().time() + seconds
    value = await probe()
    while not until(value) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        value = await probe()
    return value


class EventPublisher:
    """Publishes to the events exchange as the allocator does (persistent, JSON, the
    event's id as the message id); `mandatory`: an event no queue takes is an error."""

    def __init__(self, exchange: aio_pika.abc.AbstractExchange, *, mandatory: bool = False):
        self.exchange, self.mandatory = exchange, mandatory

    async def publish(self, *events: EventEnvelope) -> None:
        for event in events:
            await self.publish_raw(event.model_dump_json().encode(), event.type.value,
                                   str(event.event_id))

    async def publish_raw(self, body: bytes, routing_key: str, message_id: str | None = None
                          ) -> None:
        message = aio_pika.Message(body, message_id=message_id, content_type="application/json",
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self.exchange.publish(message, routing_key=routing_key, mandatory=self.mandatory)


class DoctorEvents:
    """One doctor's events, numbered as the allocator numbers them (`seq` 1, 2, 3 ...
    unless a test gives one), and that doctor's records with defaults a test overrides by
    keyword. Each service's conftest adds the shorthands its tests read."""

    def __init__(self, doctor_id: int, now: dt.datetime) -> None:
        self.doctor_id, self.now, self.seq = doctor_id, now, 0

    def event(self, type_: EventType, *, seq: int | None = None, **snapshots: Any
              ) -> EventEnvelope:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return EventEnvelope(event_id=uuid.uuid4(), type=type_, doctor_id=self.doctor_id,
                             seq=seq, occurred_at=self.now, **snapshots)

    def slot_record(self, slot_id: int, **fields: Any) -> SlotRecord:
        """An hour from nine on the day of `now`, for ten patients, none booked yet."""
        values: dict[str, Any] = {"id": slot_id, "doctor_id": self.doctor_id,
                                  "date": self.now.date(), "start_time": dt.time(9),
                                  "end_time": dt.time(10), "max_capacity": 10,
                                  "current_count": 0}
        return SlotRecord(**{**values, **fields})

    def token_record(self, slot: SlotRecord, source: Source, number: int, **fields: Any
                     ) -> TokenRecord:
        """The `number`th token of the doctor, just allocated in `slot`."""
        values: dict[str, Any] = {
            "id": number, "token_number": f"DOC{self.doctor_id}-{slot.date:%Y%m%d}-{number:04d}",
            "patient_name": f"Patient {number}", "doctor_id": self.doctor_id,
            "slot_id": slot.id, "source": source, "status": TokenStatus.ALLOCATED,
            "priority_score": SOURCE_WEIGHTS[source], "sequence_number": number,
            "allocated_at": self.now,
        }
        return TokenRecord(**{**values, **fields})


class NodeProxy:
    """A broker node's stand-in: forwards TCP to a broker until closed, connections and
    all, so a test can lose a "node" without stopping a shared broker."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.pipes = target, set[asyncio.Task]()
        self.streams: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.streams += [writer, up_writer]
        pipes = [asyncio.create_task(self._pipe(reader, up_writer)),
                 asyncio.create_task(self._pipe(up_reader, writer))]
        self.pipes.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()

    async def close(self) -> None:
        self.server.close()
        for pipe in self.pipes:
            pipe.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)
        for stream in self.streams:
            stream.close()
        await self.server.wait_closed()


def via_port(url: str, port: int) -> str:
    """The same AMQP URL on another local port (a NodeProxy's)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.netloc.rsplit(':', 1)[0]}:{port}"))


LIFESPAN_BOUND_SECONDS = 60.0
"""How long a service's start or stop may take in a test: a liveness bound, not a timing
test. asgi-lifespan's default of 5 s failed in CI when three xdist workers each started a
gateway and an allocator at once on two cores."""


def serving(app: Any) -> LifespanManager:
    """A service's app with its lifespan started, for `async with`."""
    return LifespanManager(app, startup_timeout=LIFESPAN_BOUND_SECONDS,
                           shutdown_timeout=LIFESPAN_BOUND_SECONDS)


def asgi_client(app: Any, name: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """A client of a service's app in this process (its lifespan started by the caller)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}",
                             headers=headers)


async def posted(client: httpx.AsyncClient, path: str, **body: object) -> dict[str, Any]:
    """The answer of a write that must succeed (200 or 201), else the refusal's text."""
    response = await client.post(path, json=body or None)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer
