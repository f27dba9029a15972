"""The two FastAPI dependencies every read service declares: the runtime its lifespan built
(kept on `app.state.runtime`, the one convention of every service's bootstrap) and a read
session per request from that runtime's session factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["app_runtime", "request_session"]


async def app_runtime(request: Request) -> Any:
    """The service's own `Runtime`; each service's deps.py gives it its type."""
    return request.app.state.runtime


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session
