"""A migrated allocator database of its own for one bench run, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from allocator.adapters.orm import map_domain
from allocator.main import MIGRATIONS
from allocator.settings import AllocatorSettings
from opd_shared.database import drop_database, migrate, new_engine


@asynccontextmanager
async def scratch_database(engine_options: dict[str, Any] | None = None, **settings: Any,
                           ) -> AsyncIterator[tuple[AllocatorSettings, AsyncEngine]]:
    made = AllocatorSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}", **settings)
    map_domain()
    await migrate(made.database_url, MIGRATIONS)
    engine = new_engine(made.database_url, **(engine_options or {}))
    try:
        yield made, engine
    finally:
        await engine.dispose()
        await drop_database(made.database_url)
