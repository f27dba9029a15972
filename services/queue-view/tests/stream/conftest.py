"""Display-stream fixtures: two queue-view servers over real HTTP on one database and
queue, as two processes would be, and an SSE reader."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aio_pika
import httpx
import pytest
import uvicorn

from queue_view.main import create_app
from queue_view.models import DoctorProgress
from queue_view.settings import QueueViewSettings

DAY = "2030-01-15"  # the event factory's day


@dataclass
class Message:
    event: str
    id: str | None
    data: str


class Stream:
    """One open SSE response, read in the background so a wait can time out harmlessly."""

    def __init__(self, response: httpx.Response) -> None:
        self._messages: asyncio.Queue[Message] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(response))

    async def next(self, event: str = "boards", seconds: float = 5.0) -> Message | None:
        """The next message of type `event`, or None if none comes within `seconds`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while (message := await self._messages.get()).event != event:
                    pass
                return message
        return None

    async def _read(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line and not line.startswith(":"):  # ":" starts a comment
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif not line and "data" in fields:
                await self._messages.put(Message(fields.get("event", "message"),
                                                 fields.get("id"), fields["data"]))
                fields = {}

    @property
    def ended(self) -> bool:
        """The server ended the response."""
        return self._reader.done()

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@dataclass
class Displays:
    urls: list[str]
    runtime: object
    exchange: aio_pika.abc.AbstractExchange
    headers: dict[str, str]  # a key that reads queues, and Accept as a browser sends it

    async def publish(self, event) -> None:
        await self.exchange.publish(aio_pika.Message(event.model_dump_json().encode()),
                                    routing_key=event.type.value)

    async def applied(self, doctor_id: int, count: int) -> None:
        for _ in range(200):
            async with self.runtime.sessions() as session:
                row = await session.get(DoctorProgress, doctor_id)
            if row is not None and row.applied_count >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"doctor {doctor_id}: {count} events not applied")

    @contextlib.asynccontextmanager
    async def open(self, server: int, query: str, last_event_id: str | None = None,
                   key: str | None = None) -> AsyncIterator[Stream]:
        """A stream, with the admin key or `key`."""
        resume = {"Last-Event-ID": last_event_id} if last_event_id else {}
        headers = {**self.headers, **({"Authorization": f"Bearer {key}"} if key else {})}
        async with httpx.AsyncClient(base_url=self.urls[server], timeout=10,
                                     headers=headers) as client, \
                client.stream("GET", f"/api/v1/display/stream?{query}&date={DAY}",
                              headers=resume) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = Stream(response)
            try:
                yield stream
            finally:
                await stream.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def _serve(settings: QueueViewSettings) -> AsyncIterator[tuple[str, object]]:
    app, port = create_app(settings), _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app.state.runtime
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def displays(infra) -> AsyncIterator[Displays]:
    settings = infra.settings(QueueViewSettings, infra.namespace("qvsse"),
                              stream_ping_seconds=0.5, stream_poll_seconds=0.1)
    async with _serve(settings) as (first, runtime), _serve(settings) as (second, _):
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            exchange = await settings.topology.declare_events(await connection.channel())
            yield Displays([first, second], runtime, exchange,
                           {**infra.admin_headers, "Accept": "text/event-stream"})
