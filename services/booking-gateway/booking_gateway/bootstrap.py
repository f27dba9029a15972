"""What the gateway owns and starts: the API-key guard and the command bus, as one Runtime
(the skeleton: opd_shared.app). It has no database of its own; its readiness checks the
keys' database, without which it can accept nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from booking_gateway.admission import Admission
from booking_gateway.bus import CommandBus
from booking_gateway.settings import GatewaySettings
from opd_shared.access import Guard, open_guard

__all__ = ["Runtime", "start"]

log = logging.getLogger("booking_gateway")


@dataclass(frozen=True)
class Runtime:
    settings: GatewaySettings
    guard: Guard
    bus: CommandBus

    @property
    def engine(self) -> AsyncEngine:
        return self.guard.store.engine

    def broker_connected(self) -> bool:
        """Its connection and the channel that publishes commands: after a broker restart
        the connection is back a moment before the channel is restored, and a gateway ready
        then answered its first bookings 503 (seen in the fault tests)."""
        return not (self.bus.connection.is_closed or self.bus.channel.is_closed)


@asynccontextmanager
async def start(settings: GatewaySettings) -> AsyncIterator[Runtime]:
    """Open the guard, connect the bus; close them in reverse order on exit."""
    async with AsyncExitStack() as stack:
        guard = await open_guard(settings)
        stack.push_async_callback(guard.close)
        admission = Admission(settings.admission_max_in_flight,
                              settings.admission_wait_budget_seconds)
        bus = CommandBus(settings.amqp_url, settings.topology, admission)
        await bus.connect()
        stack.push_async_callback(bus.close)
        log.info("gateway publishing to %s (%d partitions)",
                 settings.topology.commands_exchange, settings.partitions)
        yield Runtime(settings, guard, bus)
