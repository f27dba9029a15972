"""What interop owns and starts: the API-key guard, its small database (ABDM shares and
visits, migrated), HTTP clients of the gateway, queue-view and the ABDM gateway, as one
Runtime (the skeleton: opd_shared.app).

It has no broker connection: its writes are the gateway's commands, and the gateway's
/readyz answers for the broker. `upstreams` and `abdm` may be given (tests hand in clients
of in-process apps and of a stand-in ABDM gateway); by default they are built from the
settings, and are what production runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from interop.abdm.auth import GatewayTokens
from interop.abdm.client import AbdmGateway
from interop.abdm.desk import ShareDesk
from interop.fhir.mapping import Mapper
from interop.settings import InteropSettings
from interop.upstream import Upstreams
from opd_shared.access import Guard, open_guard
from opd_shared.database import own_database

__all__ = ["MIGRATIONS_DIR", "Runtime", "start"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger("interop")


@dataclass(frozen=True)
class Runtime:
    settings: InteropSettings
    guard: Guard
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    upstreams: Upstreams
    mapper: Mapper
    gateway_tokens: GatewayTokens
    desk: ShareDesk

    def broker_connected(self) -> bool:
        return True  # no broker of its own (see the module's docstring)


def default_upstreams(settings: InteropSettings) -> Upstreams:
    timeout = httpx.Timeout(settings.upstream_timeout_seconds)
    return Upstreams(httpx.AsyncClient(base_url=settings.gateway_url, timeout=timeout),
                     httpx.AsyncClient(base_url=settings.queue_view_url, timeout=timeout))


def default_abdm(settings: InteropSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=settings.abdm_gateway_url.rstrip("/"),
                             timeout=httpx.Timeout(10.0))


@asynccontextmanager
async def start(settings: InteropSettings, upstreams: Upstreams | None = None,
                abdm: httpx.AsyncClient | None = None) -> AsyncIterator[Runtime]:
    async with AsyncExitStack() as stack:
        guard = await open_guard(settings)
        stack.push_async_callback(guard.close)
        engine, sessions = await own_database(stack, settings, MIGRATIONS_DIR)
        upstreams = upstreams or default_upstreams(settings)
        stack.push_async_callback(upstreams.close)
        secret = settings.abdm_client_secret
        gateway = AbdmGateway(abdm or default_abdm(settings), settings.abdm_client_id,
                              secret.get_secret_value() if secret else None, settings.abdm_cm_id)
        stack.push_async_callback(gateway.close)
        desk = ShareDesk(settings, sessions, upstreams, gateway)
        stack.push_async_callback(desk.close)  # runs first: shares being decided finish
        log.info("interop in front of %s and %s; ABDM counters: %s", settings.gateway_url,
                 settings.queue_view_url, ", ".join(settings.abdm_counters) or "none")
        yield Runtime(settings, guard, engine, sessions, upstreams,
                      Mapper(settings.fhir_system_base, settings.timezone),
                      GatewayTokens(settings.abdm_jwks, settings.abdm_jwt_issuer), desk)
