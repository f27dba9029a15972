"""A keys' database that cannot answer is 503 with Retry-After at once, never a 500 or a hang."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from opd_shared.access import Guard
from opd_shared.access.store import KeyStore

TIMEOUT_S = 0.5
PATIENCE_S = 20  # far below asyncpg's own 60 s connect timeout, so a missing one shows


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts connections and never says a word (a hung server, a black hole)."""

    async def listen_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(listen_forever, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def _ask_concurrently(client_from, port: int, requests: int) -> tuple[list, float]:
    store = KeyStore(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/opd_access",
                     timeout_s=TIMEOUT_S)
    try:
        async with client_from(Guard(store), "192.0.2.1") as client, \
                asyncio.timeout(PATIENCE_S):
            started = time.monotonic()
            answers = await asyncio.gather(*(client.get(
                "/queue", headers={"Authorization": f"Bearer opd_key-{n}"})
                for n in range(requests)))
            return answers, time.monotonic() - started
    finally:
        await store.close()


async def test_a_refused_keys_database_is_503_with_retry_after_at_once(client_from):
    answers, took = await _ask_concurrently(client_from, _free_port(), requests=3)

    assert [a.status_code for a in answers] == [503] * 3
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers)
    assert {a.json()["code"] for a in answers} == {"unavailable"}
    assert took < 2


async def test_a_silent_keys_database_is_503_within_the_timeout_even_for_a_crowd(
        client_from, silent_port):
    # More requests than the store's pool has connections (4): the rest wait for one.
    answers, took = await _ask_concurrently(client_from, silent_port, requests=8)

    assert [a.status_code for a in answers] == [503] * 8
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers)
    assert all("API keys" in a.json()["detail"] for a in answers)  # the guard's answer
    assert took < 4 * TIMEOUT_S + 1
