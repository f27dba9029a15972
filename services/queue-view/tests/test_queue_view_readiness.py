"""Readiness when the broker and database are out of reach (no lifespan: a runtime whose
broker never connected and whose database is a closed port)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from opd_shared.access import Guard, key_store
from queue_view.bootstrap import Runtime
from queue_view.consumer import build_consumer, make_applier
from queue_view.display.feed import ChangeFeed
from queue_view.main import create_app
from queue_view.settings import QueueViewSettings


async def test_readiness_is_503_with_retry_after_when_broker_and_database_are_down() -> None:
    settings = QueueViewSettings(  # type: ignore[call-arg]
        _env_file=None, postgres_url="postgresql+asyncpg://nobody@127.0.0.1:1",
        retry_after_seconds=7,
    )
    engine = create_async_engine(settings.database_url)
    app = create_app(settings)
    sessions = async_sessionmaker(engine)
    never_started = build_consumer(settings, make_applier(sessions))
    guard = Guard(key_store(settings))
    app.state.runtime = Runtime(settings, guard, engine, sessions, never_started,
                                ChangeFeed(sessions, 1.0))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://queue-view") as http:
        response = await http.get("/readyz")
    await engine.dispose()
    await guard.close()

    assert (response.status_code, response.headers["retry-after"]) == (503, "7")
    assert response.json()["checks"] == {"broker": False, "database": False}
    assert "broker not connected" in response.json()["detail"]
    assert "database not answering" in response.json()["detail"]
