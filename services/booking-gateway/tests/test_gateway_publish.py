"""How a command message is handed to aiormq (`opd_shared.messaging.properties.
publish_directly`): mandatory, confirmed within 5 s, and without waiting for the
connection's writer to drain the socket first (aiormq's `wait=False`, 16-20 us of a
publish's 65-73: bench/amqp_cost.py). The broker stubbed at aiormq's channel; that a
confirm, a nack or a return still decides each command: test_gateway_outlet.py,
test_gateway_node_failover.py, test_gateway_unavailable.py.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from booking_gateway.admission import Admission
from booking_gateway.bus import BrokerUnavailable, CommandBus
from booking_gateway.settings import GatewaySettings

from .conftest import booking_envelope


class _Underlay:
    """aiormq's channel, recording each publish's arguments; confirms at once."""

    def __init__(self) -> None:
        self.publishes: list[dict[str, Any]] = []

    async def basic_publish(self, body: bytes, **kwargs: Any) -> None:
        self.publishes.append(kwargs)


def _bus(underlay: _Underlay, *, channel_closed: bool = False) -> CommandBus:
    bus = CommandBus("amqp://a:5672", GatewaySettings(namespace="unit").topology,
                     Admission(10, 1.0))

    async def get_underlay_channel() -> _Underlay:
        return underlay

    bus.connection = SimpleNamespace(is_closed=False)  # type: ignore[assignment]
    bus.channel = SimpleNamespace(  # type: ignore[assignment]
        is_closed=channel_closed, get_underlay_channel=get_underlay_channel)
    bus.exchange = SimpleNamespace(name="unit.commands")  # type: ignore[assignment]
    return bus


async def test_a_command_message_is_mandatory_confirmed_and_not_held_for_the_drain():
    underlay = _Underlay()
    bus = _bus(underlay)

    await bus._publish_once("unit.commands.0", [booking_envelope()])

    assert len(underlay.publishes) == 1
    published = underlay.publishes[0]
    assert (published["exchange"], published["routing_key"]) == ("unit.commands",
                                                                  "unit.commands.0")
    assert published["mandatory"] is True
    assert published["timeout"] == 5
    assert published["wait"] is False


async def test_a_closed_channel_publishes_nothing_and_the_command_is_unavailable():
    underlay = _Underlay()
    bus = _bus(underlay, channel_closed=True)

    with pytest.raises(BrokerUnavailable):
        await bus._publish_once("unit.commands.0", [booking_envelope()])

    assert underlay.publishes == []
