"""A delivery as aiormq hands it over, with what the consumer, `opd_shared.retries` and
the handlers read of it, instead of aio-pika's `IncomingMessage`.

Why: aio-pika builds an `IncomingMessage` for each delivery (its properties decoded and
copied through `Message.__init__`: ~24 us of CPU a message, measured on this machine) and
hands it to the callback in a task of its own, on top of the task aiormq already runs each
delivery in. Here a delivery's properties are only referred to, and the callback runs in
aiormq's task. The subscription still consumes through aio-pika (`Queue.consume`), so a
robust channel restores the consumer after a reconnect as before; it then takes the
consumer's place in aiormq's table of consumers (`take_over`). What arrives before that
(up to a prefetch's worth, when a queue already holds messages as the consumer subscribes
or is restored), and everything after a restore by a path that does not reopen the
channel, comes as aio-pika's messages: both kinds read the same, and are acked the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import cast

import aiormq
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractProcessContext,
    DeliveryMode,
    MessageInfo,
)
from aio_pika.exceptions import ChannelInvalidStateError, MessageProcessError
from aio_pika.message import ProcessContext, decode_expiration
from aiormq.abc import DeliveredMessage

__all__ = ["Delivered", "take_over"]


class Delivered(AbstractIncomingMessage):
    __slots__ = (
        "_channel",
        "_processed",
        "_properties",
        "app_id",
        "body",
        "body_size",
        "cluster_id",
        "consumer_tag",
        "content_encoding",
        "content_type",
        "correlation_id",
        "delivery_mode",
        "delivery_tag",
        "exchange",
        "expiration",
        "headers",
        "message_count",
        "message_id",
        "priority",
        "redelivered",
        "reply_to",
        "routing_key",
        "timestamp",
        "type",
        "user_id",
    )

    def __init__(self, delivered: DeliveredMessage) -> None:
        properties = delivered.header.properties
        deliver = delivered.delivery
        self._channel, self._properties, self._processed = delivered.channel, properties, False
        self.body = delivered.body
        self.body_size = len(delivered.body)
        self.headers = properties.headers or {}
        self.message_id, self.correlation_id = properties.message_id, properties.correlation_id
        self.reply_to, self.type = properties.reply_to, properties.message_type
        self.content_type = properties.content_type
        self.content_encoding = properties.content_encoding
        self.delivery_mode = cast(DeliveryMode, properties.delivery_mode)
        self.priority, self.app_id = properties.priority, properties.app_id
        self.user_id, self.cluster_id = properties.user_id, properties.cluster_id
        self.timestamp = properties.timestamp  # pamqp's datetime already, as aio-pika's
        expiration = properties.expiration
        self.expiration = None if expiration is None else decode_expiration(expiration)
        self.delivery_tag = getattr(deliver, "delivery_tag", None)
        self.redelivered = getattr(deliver, "redelivered", None)
        self.routing_key = getattr(deliver, "routing_key", None)
        self.exchange = getattr(deliver, "exchange", None)
        self.consumer_tag = getattr(deliver, "consumer_tag", None)
        self.message_count = None

    @property
    def channel(self) -> aiormq.abc.AbstractChannel:
        if self._channel.is_closed:
            raise ChannelInvalidStateError
        return self._channel

    @property
    def processed(self) -> bool:
        return self._processed

    @property
    def locked(self) -> bool:
        return True  # a delivery is not changed

    @property
    def properties(self) -> aiormq.spec.Basic.Properties:
        return self._properties

    def lock(self) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        return iter(self.body)

    def info(self) -> MessageInfo:
        return cast(MessageInfo, {
            "body_size": self.body_size, "headers": self.headers,
            "content_type": self.content_type, "message_id": self.message_id,
            "correlation_id": self.correlation_id, "reply_to": self.reply_to,
            "delivery_tag": self.delivery_tag, "redelivered": self.redelivered,
            "routing_key": self.routing_key, "exchange": self.exchange})

    def process(self, requeue: bool = False, reject_on_redelivered: bool = False,
                ignore_processed: bool = False) -> AbstractProcessContext:
        return ProcessContext(self, requeue=requeue,  # type: ignore[arg-type]
                              reject_on_redelivered=reject_on_redelivered,
                              ignore_processed=ignore_processed)

    def _settling(self) -> int:
        if self._processed:
            raise MessageProcessError("Message already processed", self)
        return self.delivery_tag or 0

    async def ack(self, multiple: bool = False) -> None:
        await self.channel.basic_ack(delivery_tag=self._settling(), multiple=multiple)
        self._processed = True

    async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
        await self.channel.basic_nack(delivery_tag=self._settling(), multiple=multiple,
                                      requeue=requeue)
        self._processed = True

    async def reject(self, requeue: bool = False) -> None:
        await self.channel.basic_reject(delivery_tag=self._settling(), requeue=requeue)
        self._processed = True

    def __repr__(self) -> str:
        return f"Delivered(message_id={self.message_id!r}, delivery_tag={self.delivery_tag})"


async def take_over(underlay: aiormq.abc.AbstractChannel, consumer_tag: str,
                    callback: Callable[[AbstractIncomingMessage], Awaitable[None]]) -> bool:
    """Deliveries to `consumer_tag` on this aiormq channel go to `callback` as `Delivered`
    from now on; False when the channel has no such consumer (nothing changed)."""
    consumers = cast(aiormq.Channel, underlay).consumers
    if consumer_tag not in consumers:
        return False

    async def delivered(message: DeliveredMessage) -> None:
        await callback(Delivered(message))

    consumers[consumer_tag] = delivered
    return True
