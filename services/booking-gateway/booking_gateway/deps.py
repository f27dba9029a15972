from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from booking_gateway.bus import CommandBus
from booking_gateway.settings import GatewaySettings

__all__ = ["Bus", "Settings"]


def _bus(request: Request) -> CommandBus:
    return request.app.state.bus


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


Bus = Annotated[CommandBus, Depends(_bus)]
Settings = Annotated[GatewaySettings, Depends(_settings)]
