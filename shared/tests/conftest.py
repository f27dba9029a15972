"""The access tests' pieces: a one-route app wearing the real guard (what a service does,
less everything else a service does), a key store on a database of its own, and a way to
see every look-up that store makes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from opd_shared.access import Caller, Guard, Permission
from opd_shared.access.guard import requires
from opd_shared.access.store import KeyStore
from opd_shared.http import install_error_handlers

Client = Callable[[Guard, str], httpx.AsyncClient]


@pytest.fixture
async def key_store(infra) -> AsyncIterator[Callable[..., KeyStore]]:
    """KeyStore(**options) on a fresh, migrated database; closed after the test."""
    made: list[KeyStore] = []

    async def make(**options: object) -> KeyStore:
        store = KeyStore(f"{infra.postgres_url}/{infra.namespace('keys')}_access", **options)
        made.append(store)
        await store.prepare()
        return store

    yield make
    for store in made:
        await store.close()


@pytest.fixture
def client_from() -> Client:
    """A client of a guarded app whose requests come from `address` (the peer it sees)."""

    def client(guard: Guard, address: str) -> httpx.AsyncClient:
        app = FastAPI()
        install_error_handlers(app)
        app.state.guard = guard

        @app.get("/queue")
        async def queue(caller: Annotated[Caller, requires(Permission.READ_QUEUE)]) -> dict:
            return {"caller": caller.name}

        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://guarded")

    return client


@contextlib.contextmanager
def _look_ups(store: KeyStore) -> Iterator[list[str]]:
    seen: list[str] = []

    def executed(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", executed)


@pytest.fixture
def look_ups() -> Callable[[KeyStore], contextlib.AbstractContextManager[list[str]]]:
    """`with look_ups(store) as seen:` every statement the store sends its database
    meanwhile, as the driver receives it."""
    return _look_ups
