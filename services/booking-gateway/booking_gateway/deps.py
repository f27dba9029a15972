from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from booking_gateway.bus import CommandBus
from booking_gateway.settings import GatewaySettings
from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires

__all__ = ["AnyCaller", "Bus", "Canceller", "Reallocator", "Scheduler", "Settings", "Staff"]


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
