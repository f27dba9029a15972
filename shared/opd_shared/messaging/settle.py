"""A delivery's outcome, applied: acked, queued again with its attempt raised, or parked.

An ack is only noted here: the consumer sends a batch's acks together once every outcome
of the batch is applied (`opd_shared.messaging.acks`), still after the handler's commit.
"""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from opd_shared.messaging.acks import Acks
from opd_shared.messaging.outcomes import Ack, Outcome, Retry
from opd_shared.retries import Retries

__all__ = ["park", "settle"]

log = logging.getLogger(__name__)


async def settle(message: AbstractIncomingMessage, outcome: Outcome, retries: Retries,
                 acks: Acks) -> None:
    if not retries.may_settle(message):
        return
    if isinstance(outcome, Ack):
        _ack(message, acks)
    elif isinstance(outcome, Retry):
        await retries.failed(message, outcome.error)
        _settled_elsewhere(message, acks)
    else:
        await park(message, outcome.reason, retries, acks)


async def park(message: AbstractIncomingMessage, reason: str, retries: Retries,
               acks: Acks) -> None:
    await retries.dead_letter(message, reason)
    _settled_elsewhere(message, acks)


def _ack(message: AbstractIncomingMessage, acks: Acks) -> None:
    """One from before a reconnect cannot be acked (its channel is gone): it comes back,
    and is a repeat."""
    try:
        acks.ack(message)
    except ChannelInvalidStateError:
        log.info("could not ack %s: its channel is gone; the broker redelivers it",
                 message.message_id)


def _settled_elsewhere(message: AbstractIncomingMessage, acks: Acks) -> None:
    """`Retries` acked it once its copy was confirmed, or gave it back with a nack; if it
    did neither (its channel closing), it stays unsettled and no multiple-ack passes it."""
    if message.processed:
        acks.settled_elsewhere(message)
