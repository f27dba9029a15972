"""A keep-alive HTTP/1.1 client for the load generator, as lean as it can be: it shares
the 2-core machine with what it measures, so every microsecond it spends is one the system
under test does not get.

aiohttp cost the generator 240 us of CPU a request at 1,000/s offered (24% of a core) and
62% of a core at 2,000/s, most of it building and parsing messages the generator does not
need. Here a request is one bytes object built from a template, and a response is parsed
by httptools (the C parser uvicorn uses); only a 201's body is decoded. Connections are
kept and reused, one request at a time each (no pipelining), and opened when none is free,
up to a limit.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

__all__ = ["Answer", "LeanClient"]

# uvicorn closes a connection idle for 5 s; one reused as it does so fails the request
# (seen: 13 of 60,000 at 1,000/s offered). So a connection idle this long is not reused.
IDLE_MAX_S = 4.0


@dataclass
class Answer:
    status: int
    body: bytes


@dataclass
class _Exchange(asyncio.Protocol):
    """One connection: a request written, its response parsed, then free again."""

    transport: asyncio.Transport | None = None
    answer: asyncio.Future[Answer] | None = None
    closed: bool = False
    idle_since: float = 0.0
    _body: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, error: Exception | None) -> None:
        self.closed = True
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(error or ConnectionError("closed before the answer"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            if self.answer is not None and not self.answer.done():
                self.answer.set_exception(error)
            self.close()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = Answer(self.parser.get_status_code(), b"".join(self._body))
        self._body = []
        if not self.parser.should_keep_alive():
            self.close()  # marked now: it must not be handed out again before it is gone
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(answer)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def ask(self, request: bytes) -> asyncio.Future[Answer]:
        self.answer = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(request)
        return self.answer


class LeanClient:
    """POSTs JSON to one server over up to `connections` kept-alive connections."""

    def __init__(self, base_url: str, headers: dict[str, str], connections: int,
                 timeout_s: float = 30) -> None:
        url = urlsplit(base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in
                             {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive",
                              "Content-Type": "application/json", **headers}.items())
        self.free: list[_Exchange] = []
        self.opened, self.limit, self.timeout_s = 0, connections, timeout_s
        self.returned = asyncio.Condition()

    async def post(self, path: str, body: dict, headers: dict[str, str]) -> Answer:
        payload = json.dumps(body, separators=(",", ":")).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (f"POST {path} HTTP/1.1\r\n{self.fixed}{extra}"
                   f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
        async with asyncio.timeout(self.timeout_s):
            exchange = await self._connection()
            try:
                return await exchange.ask(request)
            except BaseException:
                exchange.close()  # its answer may still come: the connection is not reused
                raise
            finally:
                await self._give_back(exchange)

    async def _connection(self) -> _Exchange:
        while True:
            now = asyncio.get_running_loop().time()
            while self.free:
                exchange = self.free.pop()
                if not exchange.closed and now - exchange.idle_since < IDLE_MAX_S:
                    return exchange
                exchange.close()
                self.opened -= 1
            if self.opened < self.limit:
                self.opened += 1
                try:
                    _, exchange = await asyncio.get_running_loop().create_connection(
                        _Exchange, self.host, self.port)
                except BaseException:
                    self.opened -= 1
                    raise
                return exchange
            async with self.returned:
                await self.returned.wait()

    async def _give_back(self, exchange: _Exchange) -> None:
        if exchange.closed:
            self.opened -= 1
        else:
            exchange.idle_since = asyncio.get_running_loop().time()
            self.free.append(exchange)
        async with self.returned:
            self.returned.notify()

    def close(self) -> None:
        for exchange in self.free:
            exchange.close()
        self.free = []
