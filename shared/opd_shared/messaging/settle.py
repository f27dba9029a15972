"""A delivery's outcome, applied: acked, queued again with its attempt raised, or parked."""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from opd_shared.messaging.outcomes import Ack, Outcome, Retry
from opd_shared.retries import Retries

__all__ = ["settle"]

log = logging.getLogger(__name__)


async def settle(message: AbstractIncomingMessage, outcome: Outcome, retries: Retries) -> None:
    if not retries.may_settle(message):
        return
    if isinstance(outcome, Ack):
        await _ack(message)
    elif isinstance(outcome, Retry):
        await retries.failed(message, outcome.error)
    else:
        await retries.dead_letter(message, outcome.reason)


async def _ack(message: AbstractIncomingMessage) -> None:
    """Each on its own: a multiple-ack would also settle any delivery an earlier failed
    batch left unacked. One from before a reconnect cannot be acked (its channel is gone):
    it comes back, and is a repeat."""
    try:
        await message.ack()
    except ChannelInvalidStateError:
        log.info("could not ack %s: its channel is gone; the broker redelivers it",
                 message.message_id)
