"""A message's AMQP properties built directly as aiormq's `Basic.Properties`, for messages
published through a channel's own aiormq channel, as aio-pika's `Exchange.publish` does
with a `Message`'s: the `Message` sets and checks its attributes one by one, and that is
most of what a publish costs the publishing process. Each builder gives the properties
`aio_pika.Message(...).properties` has for the same arguments (priority 0 and empty
headers are aio-pika's defaults), byte for byte on the wire (the services' tests check it).

Measured: the gateway's commands, `_publish_once` with aiormq's publish stubbed, 19.9 ->
8.5 us a message of one command; a loop of 3,000 confirmed publishes to the broker, 180 ->
145 us each. The allocator's replies (its bench/reply_cost.py), 15.1 -> 1.7 us a message.
"""

from __future__ import annotations

from typing import Any, cast

import aiormq
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractChannel
from aiormq import spec
from aiormq.exceptions import ChannelInvalidStateError

__all__ = ["command_properties", "publish_directly", "reply_properties"]

JSON = "application/json"
PERSISTENT = int(DeliveryMode.PERSISTENT)
NOT_PERSISTENT = int(DeliveryMode.NOT_PERSISTENT)


def command_properties(message_id: str, reply_to: str,
                       headers: dict[str, Any] | None) -> spec.Basic.Properties:
    """A command message's: `aio_pika.Message(content_type="application/json",
    message_id=..., reply_to=..., delivery_mode=PERSISTENT, headers=...).properties`."""
    return spec.Basic.Properties(content_type=JSON, delivery_mode=PERSISTENT,
                                 headers=headers or {}, message_id=message_id, priority=0,
                                 reply_to=reply_to)


def reply_properties(correlation_id: str | None) -> spec.Basic.Properties:
    """A reply message's: `aio_pika.Message(content_type="application/json",
    correlation_id=...).properties` (not persistent: a lost reply is answered by the
    client's repeat, from the allocator's inbox)."""
    return spec.Basic.Properties(content_type=JSON, delivery_mode=NOT_PERSISTENT, headers={},
                                 priority=0, correlation_id=correlation_id)


async def publish_directly(channel: AbstractChannel, body: bytes, exchange: str,
                           routing_key: str, properties: spec.Basic.Properties,
                           confirm_timeout: float | None = None,
                           wait_for_writer: bool = True) -> None:
    """Publish `body` mandatory through `channel`'s own aiormq channel, after the check
    aio-pika's `Exchange.publish` makes first (ChannelInvalidStateError when closed).

    `wait_for_writer=False` does not wait for the connection's writer to drain the socket
    before the confirm is awaited (aiormq's `wait`, on its own Channel, not its ABC): that
    wait is a future, a `drain()` and a resumption of the publisher for every message,
    16-20 us of a confirmed publish's 65-73 (the gateway's bench/amqp_cost.py, aiormq
    7.2.4). It bounds nothing for a publisher that awaits each message's confirm and keeps
    few in flight (the gateway's outlets: two each): the confirm cannot come before the
    message is written, and a connection lost first rejects it."""
    if channel.is_closed:
        raise ChannelInvalidStateError(f"{channel!r} closed")
    underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
    await underlay.basic_publish(body, exchange=exchange, routing_key=routing_key,
                                 properties=properties, mandatory=True,
                                 timeout=confirm_timeout, wait=wait_for_writer)
