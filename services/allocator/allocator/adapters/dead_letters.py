"""The dead-letter queue's depth on /metrics: each message there needs a person."""

from __future__ import annotations

import asyncio
import logging

from aio_pika.abc import AbstractChannel

from opd_shared.metrics import DEAD_LETTER_DEPTH

__all__ = ["watch_dead_letters"]

log = logging.getLogger(__name__)


async def watch_dead_letters(channel: AbstractChannel, queue: str, every: float = 5) -> None:
    """Count the queue's messages every `every` seconds, for as long as the process runs."""
    while True:
        try:
            declared = await channel.declare_queue(queue, passive=True)
            DEAD_LETTER_DEPTH.set(declared.declaration_result.message_count or 0)
        except Exception:
            log.debug("dead-letter depth unknown for now", exc_info=True)
        await asyncio.sleep(every)
