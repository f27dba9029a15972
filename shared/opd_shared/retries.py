"""A message's tries, counted by OPD itself: a failed one is republished with its attempt
number raised, and one that failed `ATTEMPT_LIMIT` times is dead-lettered with its reason.

Why not the broker's count: `x-delivery-count` after `nack(requeue=True)` means different
things across the RabbitMQ versions users run. 3.10-3.13 raise it on every requeue; 4.0
gives every quorum queue a delivery limit (20 unless set) and moves requeued messages to the
back of a queue without one; from 4.3 the limit follows `x-delivery-count`, which counts
failed deliveries only: a `basic.nack` counts towards nothing (`x-acquired-count` counts
every assignment; rabbitmq-website#2508). A consumer that nacks and reads that header, or
waits for the limit, loops forever on 4.3 with the message back near the queue's head.
Our own header means the same on all of them, and a copy published by a client starts at a
fresh broker count (rabbitmq-server#7907), so the queues' `x-delivery-limit` stays what it
is meant to be: the backstop for a consumer that dies holding a message.

At least once: the copy is published on a confirming channel and the original acked only
after the broker confirmed the copy. A crash between the two leaves both in the queue; the
allocator's inbox and the read models' event ids turn the second into a repeat.
"""

from __future__ import annotations

import contextlib
import logging

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError
from pamqp.commands import Basic
from pydantic import ValidationError

from opd_shared.redact import redact

__all__ = ["ATTEMPT_HEADER", "ATTEMPT_LIMIT", "Retries", "attempt_of", "reason_for"]

log = logging.getLogger(__name__)
ATTEMPT_HEADER = "x-opd-attempt"
REASON_HEADER = "x-opd-reason"
QUEUE_HEADER = "x-opd-queue"
# Tries of a command or event before it is parked: enough for a lock timeout or a brief
# conflict to pass, few enough that a poison message costs its queue milliseconds.
ATTEMPT_LIMIT = 5
# Counters the broker sets on each delivery; a copy must not carry a stale one.
BROKER_COUNTERS = ("x-delivery-count", "x-acquired-count")


def attempt_of(message: AbstractIncomingMessage) -> int:
    """Which try this delivery is: 1 for a message as first published."""
    value = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    try:
        return max(1, int(value)) if isinstance(value, int | str) else 1
    except ValueError:
        return 1  # a header someone else wrote: count from the start, the limit still holds


def reason_for(error: BaseException) -> str:
    """What went wrong, without the message's content: the exception's class, plus what is
    known to carry no input (pydantic's error locations and messages, a SQLSTATE).
    `str(error)` is never used: a database error quotes the values it refused."""
    name = type(error).__name__
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        location = ".".join(str(part) for part in first["loc"]) or "body"
        return f"{name}: {error.error_count()} errors; first at {location}: {first['msg']}"
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return f"{name} (SQLSTATE {sqlstate})" if sqlstate else name


def _copy(message: AbstractIncomingMessage, headers: dict) -> aio_pika.Message:
    """The same message (body, ids, reply address) with these headers, persistent."""
    kept = {k: v for k, v in (message.headers or {}).items() if k not in BROKER_COUNTERS}
    return aio_pika.Message(
        message.body, headers={**kept, **headers}, content_type=message.content_type,
        content_encoding=message.content_encoding, message_id=message.message_id,
        correlation_id=message.correlation_id, reply_to=message.reply_to,
        timestamp=message.timestamp, type=message.type, app_id=message.app_id,
        priority=message.priority, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


class Retries:
    """Tries again, or parks, messages consumed from `queue` (over a confirming `channel`)."""

    def __init__(self, channel: AbstractChannel, queue: str, dead_letter_exchange: str,
                 limit: int = ATTEMPT_LIMIT) -> None:
        self.channel = channel
        self.queue = queue
        self.dead_letter_exchange = dead_letter_exchange
        self.limit = limit
        # Set when the channel's close begins. A frame sent after the close (an ack of a
        # batch that finished meanwhile) reaches RabbitMQ after the channel is gone, and it
        # answers with a connection error (504 "expected 'channel.open'") that closes every
        # channel of the connection; unsettled, the delivery simply comes back.
        self.closing = False

    def may_settle(self, message: AbstractIncomingMessage) -> bool:
        if self.closing:
            log.info("%s: %s left unsettled: its channel is closing; the broker redelivers it",
                     self.queue, message.message_id)
        return not self.closing

    async def failed(self, message: AbstractIncomingMessage, error: BaseException) -> None:
        """The message failed on this try: queue it once more, or park it past the limit."""
        attempt = attempt_of(message)
        reason = reason_for(error)
        if attempt >= self.limit:
            await self.dead_letter(message, f"failed {attempt} times; last: {reason}")
            return
        log.warning("%s: message %s failed on try %d of %d (%s); queued again", self.queue,
                    message.message_id, attempt, self.limit, reason)
        copy = _copy(message, {ATTEMPT_HEADER: attempt + 1})
        await self._hand_over(message, copy, self.channel.default_exchange, self.queue)

    async def dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Park a message that cannot be handled, with why and where from, and ack it."""
        reason = redact(reason)  # the body may name the patient; the header never does
        log.error("%s: dead-lettering message %s: %s", self.queue, message.message_id, reason)
        copy = _copy(message, {REASON_HEADER: reason[:500], QUEUE_HEADER: self.queue,
                               ATTEMPT_HEADER: attempt_of(message)})
        exchange = await self.channel.get_exchange(self.dead_letter_exchange, ensure=False)
        await self._hand_over(message, copy, exchange, "dead")

    async def _hand_over(self, message: AbstractIncomingMessage, copy: aio_pika.Message,
                         exchange: aio_pika.abc.AbstractExchange, routing_key: str) -> None:
        """Ack the original only once the broker confirmed its copy; if it did not, give
        the original back (the broker's own delivery limit is then the backstop)."""
        if not self.may_settle(message):
            return
        try:
            confirmed = await exchange.publish(copy, routing_key=routing_key)
        except Exception:
            confirmed = None
            log.exception("%s: could not republish %s", self.queue, message.message_id)
        if not self.may_settle(message):  # the copy stays: the original comes back a repeat
            return
        if isinstance(confirmed, Basic.Ack):
            try:
                await message.ack()
            except ChannelInvalidStateError:  # delivered before a reconnect: it comes back,
                log.info("%s: %s comes back as well; a repeat", self.queue, message.message_id)
            return
        with contextlib.suppress(Exception):  # a channel already gone gives it back itself
            await message.nack(requeue=True)
