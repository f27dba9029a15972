"""The load generator's lean client reads answers right, reuses its connections, and opens
no more than it may."""

from __future__ import annotations

import asyncio

import pytest

from opd_ops.bench.lean_http import LeanClient


class _Server:
    """Answers every POST with its status and body; counts connections and requests."""

    def __init__(self, status: int, body: bytes, keep_alive: bool = True,
                 delay_s: float = 0.0) -> None:
        self.status, self.body, self.keep_alive, self.delay_s = status, body, keep_alive, delay_s
        self.connections = self.requests = 0
        self.seen: list[bytes] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            self.seen.append(head + await reader.readexactly(length))
            self.requests += 1
            await asyncio.sleep(self.delay_s)
            close = b"" if self.keep_alive else b"Connection: close\r\n"
            writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s"
                         % (self.status, len(self.body), close, self.body))
            await writer.drain()
            if not self.keep_alive:
                break
        writer.close()


async def _serving(handler: _Server):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_answers_are_read_and_one_connection_serves_requests_in_turn():
    handler = _Server(201, b'{"id": 7}')
    server, url = await _serving(handler)
    client = LeanClient(url, {"Authorization": "Bearer k"}, connections=4)
    try:
        for n in range(3):
            answer = await client.post("/api/v1/tokens", {"n": n}, {"Idempotency-Key": f"k{n}"})
            assert (answer.status, answer.body) == (201, b'{"id": 7}')
    finally:
        client.close()
        server.close()
    assert (handler.connections, handler.requests) == (1, 3)
    assert b"Authorization: Bearer k\r\n" in handler.seen[0]
    assert b"Idempotency-Key: k2\r\n" in handler.seen[2]
    assert handler.seen[1].endswith(b'{"n":1}')


async def test_requests_at_once_open_connections_up_to_the_limit_and_no_more():
    handler = _Server(503, b"{}", delay_s=0.05)
    server, url = await _serving(handler)
    client = LeanClient(url, {}, connections=3)
    try:
        answers = await asyncio.gather(*(client.post("/", {}, {}) for _ in range(9)))
    finally:
        client.close()
        server.close()
    assert [a.status for a in answers] == [503] * 9
    assert handler.connections == 3


async def test_a_connection_the_server_closes_is_not_used_again():
    handler = _Server(409, b"{}", keep_alive=False)
    server, url = await _serving(handler)
    client = LeanClient(url, {}, connections=2)
    try:
        for _ in range(3):
            assert (await client.post("/", {}, {})).status == 409
    finally:
        client.close()
        server.close()
    assert handler.connections == 3


async def test_an_answer_that_never_comes_is_a_timeout():
    handler = _Server(201, b"{}", delay_s=5)
    server, url = await _serving(handler)
    client = LeanClient(url, {}, connections=1, timeout_s=0.2)
    try:
        with pytest.raises(TimeoutError):
            await client.post("/", {}, {})
    finally:
        client.close()
        server.close()


async def test_a_connection_idle_longer_than_the_servers_keep_alive_is_not_reused(monkeypatch):
    monkeypatch.setattr("opd_ops.bench.lean_http.IDLE_MAX_S", 0.05)
    handler = _Server(201, b"{}")
    server, url = await _serving(handler)
    client = LeanClient(url, {}, connections=2)
    try:
        await client.post("/", {}, {})
        await client.post("/", {}, {})  # at once: the same connection
        await asyncio.sleep(0.1)
        await client.post("/", {}, {})  # after the idle limit: a new one
    finally:
        client.close()
        server.close()
    assert (handler.connections, handler.requests) == (2, 3)
