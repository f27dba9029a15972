"""A message and a channel that record what a consumer did with them, for unit tests of
outcome handling (what the broker itself does is proven against the real one elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aiormq.exceptions import ChannelInvalidStateError
from pamqp.commands import Basic


class FakeAmqpChannel:
    """The aiormq channel deliveries came on: acks as the broker takes them, a multiple-ack
    settling every unsettled delivery up to its tag; an ack of a settled or unknown tag
    fails, as the broker's PRECONDITION_FAILED closes the channel."""

    def __init__(self) -> None:
        self.messages: dict[int, FakeMessage] = {}
        self.frames: list[tuple[int, bool]] = []  # (tag, multiple) of each basic.ack
        self.is_closed = False

    def deliver(self, message: FakeMessage) -> FakeMessage:
        message.delivery_tag = len(self.messages) + 1
        message.amqp_channel = self
        self.messages[message.delivery_tag] = message
        return message

    async def basic_ack(self, delivery_tag: int, multiple: bool = False,
                        wait: bool = True) -> None:
        self.frames.append((delivery_tag, multiple))
        target = self.messages.get(delivery_tag)
        if target is None or target.settled:
            raise AssertionError(f"PRECONDITION_FAILED - unknown delivery tag {delivery_tag}")
        covered = [m for tag, m in self.messages.items()
                   if (tag <= delivery_tag if multiple else tag == delivery_tag)]
        for message in covered:
            if not message.settled:
                message.settled.append("ack")


@dataclass
class FakeMessage:
    body: bytes
    message_id: str
    headers: dict[str, Any] = field(default_factory=dict)
    routing_key: str = "key"
    content_type: str | None = None
    content_encoding: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    timestamp: Any = None
    type: str | None = None
    app_id: str | None = None
    priority: int | None = None
    settled: list[str] = field(default_factory=list)  # "ack", "nack"
    channel_closed: bool = False  # the channel it came on
    delivery_tag: int = 1
    amqp_channel: FakeAmqpChannel = field(default_factory=FakeAmqpChannel)

    def __post_init__(self) -> None:
        self.amqp_channel.messages.setdefault(self.delivery_tag, self)

    @property
    def channel(self) -> FakeAmqpChannel:
        if self.channel_closed:
            raise ChannelInvalidStateError  # as aio-pika's message does
        return self.amqp_channel

    @property
    def processed(self) -> bool:
        return bool(self.settled)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nack(self, requeue: bool = True) -> None:
        self.settled.append("nack")


@dataclass
class FakeExchange:
    name: str
    published: list[tuple[str, str, aio_pika.Message]]

    async def publish(self, message: aio_pika.Message, routing_key: str) -> Basic.Ack:
        self.published.append((self.name, routing_key, message))
        return Basic.Ack()  # the broker confirmed it


class FakeChannel:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, aio_pika.Message]] = []
        self.default_exchange = FakeExchange("", self.published)

    async def get_exchange(self, name: str, ensure: bool = True) -> FakeExchange:
        return FakeExchange(name, self.published)

    def copies(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        """Each republished message by id: (exchange, routing key, headers)."""
        return {message.message_id: (exchange, key, dict(message.headers or {}))
                for exchange, key, message in self.published}
