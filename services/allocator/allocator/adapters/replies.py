"""Replies to the gateways: one message per gateway reply queue for all the replies a
round decided (message contract version 2), one message per reply for a gateway that sent
version 1 (it reads nothing else; a rolling upgrade keeps both for a while).

A round's partitions resume one after another once it commits, each handing over its
replies here. Nothing is sent until a turn of the event loop passes in which no reply was
added: by then every partition of the round has answered, and no timer was involved, so a
lone booking at low load leaves as soon as its own partition has answered. Under load
other lanes' rounds may add replies in every turn; after `TURNS_MAX` turns what was
gathered leaves anyway, so a busy allocator never holds replies back.

Replies need no confirm: they leave only after the commit, and a lost one costs the client
a 202 and a repeat that the inbox answers. Waiting for confirms would hold the partitions'
next batches back.

A reply message is published through the channel's own aiormq channel with its properties
built directly (`opd_shared.messaging.properties`), as `Exchange.publish` does with an
`aio_pika.Message`'s, which sets and checks its attributes one by one, and as the gateway
publishes its commands: the same bytes on the wire, and 15.1 -> 1.7 us of CPU a message
before aiormq sends it (bench/reply_cost.py, medians of 5 alternated runs, load 2.2).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aio_pika.abc import AbstractChannel

from opd_contracts import Reply, ReplyBatch
from opd_shared.messaging.properties import publish_directly, reply_properties
from opd_shared.metrics import MESSAGE_ITEMS

__all__ = ["ReplyBatcher"]

log = logging.getLogger(__name__)
TURNS_MAX = 8  # more than a lane's partitions resuming one by one (16 over 4 lanes: 4)


class ReplyBatcher:
    def __init__(self, channel: AbstractChannel) -> None:
        self.channel = channel
        self._batches: dict[str, list[Reply]] = defaultdict(list)  # by reply queue
        self._singles: list[tuple[str, str | None, Reply]] = []  # version 1: one a message
        self._added = 0
        self._collecting = False  # a flush is waiting for the round's last reply
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, reply_to: str, reply: Reply, *, version: int,
             correlation_id: str | None = None) -> None:
        """Queue `reply` for `reply_to`, batched if the command came in version 2."""
        if version >= 2:
            self._batches[reply_to].append(reply)
        else:
            self._singles.append((reply_to, correlation_id, reply))
        self._added += 1
        if not self._collecting:
            self._collecting = True
            task = asyncio.create_task(self._flush(), name="replies")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until everything queued was handed to the broker (before closing)."""
        while self._tasks:
            flushing = list(self._tasks)
            await asyncio.gather(*flushing, return_exceptions=True)
            # Their done callbacks (which discard them) may not have run yet, and since
            # Python 3.12 a gather of finished tasks returns without yielding to the loop:
            # waiting on them again would spin here for good.
            self._tasks.difference_update(flushing)

    async def _flush(self) -> None:
        try:
            for _ in range(TURNS_MAX):  # until a turn adds nothing: the round has answered
                added = self._added
                await asyncio.sleep(0)
                if self._added == added:
                    break
            batches, self._batches = self._batches, defaultdict(list)
            singles, self._singles = self._singles, []
        finally:
            self._collecting = False
        try:
            for reply_to, replies in batches.items():
                MESSAGE_ITEMS.labels("reply").observe(len(replies))
                await self._publish(reply_to, ReplyBatch(replies=replies).model_dump_json(), None)
            for reply_to, correlation_id, reply in singles:
                await self._publish(reply_to, reply.model_dump_json(), correlation_id)
        except Exception:
            log.warning("replies not sent; their requests are answered by a repeat",
                        exc_info=True)

    async def _publish(self, reply_to: str, body: str, correlation_id: str | None) -> None:
        """To the default exchange, mandatory, as `default_exchange.publish` sent it."""
        await publish_directly(self.channel, body.encode(), "", reply_to,
                               reply_properties(correlation_id))
