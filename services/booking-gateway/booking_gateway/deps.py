from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from booking_gateway.bus import CommandBus
from booking_gateway.settings import GatewaySettings
from opd_contracts import bounds
from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires

__all__ = ["IDEMPOTENCY_KEY", "AnyCaller", "Bus", "Canceller", "Reallocator", "Scheduler",
           "Settings", "Staff"]


# Dependencies are async even when they do not await: FastAPI runs a plain `def` one in
# its thread pool, a hop per request that costs a busy gateway about a seventh of its CPU.
async def _bus(request: Request) -> CommandBus:
    return request.app.state.runtime.bus


async def _settings(request: Request) -> GatewaySettings:
    return request.app.state.runtime.settings


Bus = Annotated[CommandBus, Depends(_bus)]
Settings = Annotated[GatewaySettings, Depends(_settings)]

# Who may call: each alias answers 401/403/429 before the route runs.
AnyCaller = Annotated[Caller, requires()]
Scheduler = Annotated[Caller, requires(Permission.MANAGE_SCHEDULE)]
Staff = Annotated[Caller, requires(Permission.LIFECYCLE)]
Canceller = Annotated[Caller, requires(Permission.CANCEL)]
Reallocator = Annotated[Caller, requires(Permission.REALLOCATE)]


async def _idempotency_key(key: Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=bounds.IDEMPOTENCY_KEY_MAX,
    description="Names this request, together with your API key, so that repeating it "
                "(after a timeout, a 202 or a 503) is decided once and answered with the "
                "first outcome, the same status and body. The same key with another path or "
                "body is 422 `idempotency_key_reused`. Without one, the gateway makes one up "
                "and hands it back with a 202.",
    examples=["booking-42"])] = None) -> str | None:
    """Declares the header for the OpenAPI document and bounds it; `submit` reads it."""
    return key


# On every write router: each of its routes goes through `submit`, which honours the key.
IDEMPOTENCY_KEY = Depends(_idempotency_key)
