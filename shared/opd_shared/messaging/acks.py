"""A channel's acks, sent as few frames as is safe: one `basic.ack multiple=True` for the
run of settled deliveries at the bottom of what the channel has delivered, instead of one
frame for each delivery.

Why: aio-pika's `ack` sends a frame and waits for its drain (a future, the frame queue, the
writer's turn), once per delivery; `opd_ops.bench.consume_cost` measures what one frame a
batch saves.

Why it is safe: `multiple` acknowledges every delivery up to its tag that the broker still
counts as unacked on that channel; an unsettled one among them would be lost. So each
delivery is noted as it arrives (`delivered`), in tag order, and a multiple-ack reaches only
up to the lowest delivery not settled yet: one still being handled (another batch in
flight), one left for the broker to give back after a failure, one still in the buffer.
What is acked above that one goes on its own frame, at once, as every ack did before.
A delivery settled elsewhere (a retry's or a dead letter's `ack` or `nack`, by
`opd_shared.retries`) is noted as settled: below a multiple-ack it is skipped by the broker.
Tags are counted per channel, so each channel has its own `ChannelAcks` (a reconnect's new
channel starts again at 1).
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import ChannelInvalidStateError

__all__ = ["Acks", "ChannelAcks"]

log = logging.getLogger(__name__)


class ChannelAcks:
    """The deliveries of one channel not known settled, and those to ack next."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel  # aiormq's: `basic_ack(tag, multiple=, wait=)`, `is_closed`
        self.unsettled: deque[int] = deque()  # delivered, in tag order, not yet passed
        self.settled: set[int] = set()  # those of `unsettled` that are settled or to be acked
        self.to_ack: set[int] = set()  # acked by the handler, not yet sent
        self.in_order = True  # False: every ack goes alone, for the rest of the channel

    def delivered(self, tag: int) -> None:
        if not self.in_order:
            return
        if self.unsettled and tag <= self.unsettled[-1]:
            self.alone_from_now()  # tags rise on a channel; one that did not is not trusted
            return
        self.unsettled.append(tag)

    def alone_from_now(self) -> None:
        """Some delivery below will stay unsettled for good (its batch failed past its
        outcomes; the broker gives it back when the channel closes): no multiple-ack may
        pass it, and the deliveries after it would wait in `unsettled` for ever."""
        self.in_order = False
        self.unsettled.clear()
        self.settled.clear()

    def ack(self, tag: int) -> None:
        self.to_ack.add(tag)
        self.settled.add(tag)

    async def flush(self) -> None:
        """Send the acks noted since the last flush: one frame for those below every
        unsettled delivery, one frame each for the rest."""
        top, below = 0, 0
        unsettled, settled, to_ack = self.unsettled, self.settled, self.to_ack
        while unsettled and unsettled[0] in settled:
            tag = unsettled.popleft()
            settled.discard(tag)
            if tag in to_ack:
                to_ack.discard(tag)
                top, below = tag, below + 1
        alone = sorted(to_ack)
        to_ack.clear()
        if top:
            await self.channel.basic_ack(top, multiple=below > 1, wait=False)
        for tag in alone:  # each stays in `unsettled` until the bottom run reaches it
            await self.channel.basic_ack(tag, wait=False)


class Acks:
    """Each channel's `ChannelAcks`, found by the channel a delivery came on."""

    def __init__(self) -> None:
        self.channels: dict[int, ChannelAcks] = {}  # by id(channel); closed ones dropped

    def of(self, message: AbstractIncomingMessage) -> ChannelAcks:
        """Raises ChannelInvalidStateError when the message's channel is gone: it cannot
        be acked any more, and the broker gives it out again."""
        channel = message.channel
        acks = self.channels.get(id(channel))
        if acks is None or acks.channel is not channel:
            self.channels = {key: kept for key, kept in self.channels.items()
                             if not kept.channel.is_closed}
            acks = self.channels[id(channel)] = ChannelAcks(channel)
        return acks

    def delivered(self, message: AbstractIncomingMessage) -> None:
        self.of(message).delivered(message.delivery_tag or 0)

    def ack(self, message: AbstractIncomingMessage) -> None:
        """Acked once `flush` runs (raises as `of` does)."""
        self.of(message).ack(message.delivery_tag or 0)

    def settled_elsewhere(self, message: AbstractIncomingMessage) -> None:
        """`message` was acked or nacked on its own (a retry, a dead letter)."""
        with contextlib.suppress(ChannelInvalidStateError):  # gone, and its notes with it
            self.of(message).settled.add(message.delivery_tag or 0)

    def abandoned(self, messages: list[AbstractIncomingMessage]) -> None:
        """These deliveries' batch failed before each was settled: the broker keeps any left
        unsettled until their channel closes, so no multiple-ack may pass them."""
        for message in messages:
            try:
                acks = self.of(message)
            except ChannelInvalidStateError:
                continue
            tag = message.delivery_tag or 0
            if acks.in_order and tag in acks.unsettled and tag not in acks.settled:
                acks.alone_from_now()

    async def flush(self) -> None:
        for acks in list(self.channels.values()):
            if not acks.to_ack:
                continue
            try:
                await acks.flush()
            except ChannelInvalidStateError:
                log.info("could not send acks: their channel is gone; the broker gives "
                         "those deliveries out again")
