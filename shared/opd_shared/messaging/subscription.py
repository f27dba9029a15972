"""One queue, consumed on a channel of its own into a local buffer of deliveries, with the
channel's `Retries` for the outcomes and its `Acks`; given back to the broker whole when
asked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from opd_shared.messaging.acks import Acks
from opd_shared.messaging.delivered import take_over
from opd_shared.retries import Retries

__all__ = ["Subscription"]

log = logging.getLogger(__name__)
Declare = Callable[[AbstractChannel], Awaitable[None]]


class Subscription:
    channel: AbstractChannel
    queue: AbstractQueue
    retries: Retries

    def __init__(self, queue: str, dead_letter_exchange: str, prefetch: int,
                 declare: Declare) -> None:
        self.queue_name, self.dead_letter_exchange = queue, dead_letter_exchange
        self.prefetch, self.declare = prefetch, declare
        # What the broker delivered and nobody took yet; None: stop after what came before.
        self.deliveries: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self.acks = Acks()  # every delivery noted as it comes, in its channel's tag order

    async def open(self, connection: AbstractRobustConnection) -> None:
        """A channel of its own: closing it gives back exactly this queue's deliveries."""
        self.connection = connection
        self.channel = await connection.channel()
        await self.channel.set_qos(prefetch_count=self.prefetch)
        await self.declare(self.channel)
        self.retries = Retries(self.channel, self.queue_name, self.dead_letter_exchange)
        self.queue = await self.channel.get_queue(self.queue_name)
        self.tag = await self.queue.consume(self._delivered)
        await self._take_over()
        reopened = getattr(self.channel, "reopen_callbacks", None)  # a robust channel's
        if reopened is not None:
            reopened.add(self._reopened)

    async def _take_over(self) -> None:
        """Deliveries as `Delivered` from now on, not as aio-pika's messages."""
        underlay = await self.channel.get_underlay_channel()
        if not await take_over(underlay, self.tag, self._delivered):
            log.info("%s: consumer %s not found on its channel; deliveries come as aio-pika's "
                     "messages", self.queue_name, self.tag)

    async def _reopened(self, channel: object) -> None:
        """After a reconnect aio-pika consumed again, with its own messages."""
        with contextlib.suppress(Exception):  # then they keep coming as aio-pika's
            await self._take_over()

    async def _delivered(self, message: AbstractIncomingMessage) -> None:
        self.acks.delivered(message)
        self.deliveries.put_nowait(message)

    async def flush(self) -> None:
        """Send the acks noted since the last flush; none once the channel's close began
        (see `Retries.closing`)."""
        if not self.retries.closing:
            await self.acks.flush()

    async def take_no_more(self) -> None:
        """The broker sends no more; what it sent already is still taken, then None."""
        with contextlib.suppress(Exception):  # a broker already gone delivers no more
            await self.queue.cancel(self.tag)
        await self.deliveries.put(None)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # a channel already gone gave its deliveries back
            self.retries.closing = True  # nothing is settled on it from now on
            await self.channel.close()

    async def renew(self) -> None:
        """Give every delivery back (closing the channel does), forget them, and subscribe
        again; unless a stop is under way."""
        await self.close()
        self.acks = Acks()  # what was noted was the closed channel's
        stopping = False
        while not self.deliveries.empty():
            stopping = self.deliveries.get_nowait() is None or stopping
        if stopping:
            await self.deliveries.put(None)
            return
        await self.open(self.connection)
