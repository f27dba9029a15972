"""A message and a channel that record what a consumer did with them, for unit tests of
outcome handling (what the broker itself does is proven against the real one elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aiormq.exceptions import ChannelInvalidStateError
from pamqp.commands import Basic


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

    @property
    def channel(self) -> object:
        if self.channel_closed:
            raise ChannelInvalidStateError  # as aio-pika's message does
        return object()

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
