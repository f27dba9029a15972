"""Deflated message bodies: events travel compressed (`content_encoding: deflate`).

Why: RabbitMQ writes an event to its log once for every queue that takes it, three, and
the log's roll-over stalls every queue (docs/adr/0012-events-travel-deflated.md). A page of
events is JSON of one shape and deflates about tenfold at zlib's fastest level; the costs
are in BENCHMARKS.md (`uv run python -m opd_ops.bench.batch_items --what decode`).
"""

from __future__ import annotations

import zlib

from aio_pika.abc import AbstractMessage

__all__ = ["DEFLATE", "INFLATED_MAX", "BodyNotDeflated", "BodyTooLarge", "UnreadableBody",
           "body_of", "deflated"]

DEFLATE = "deflate"  # zlib's format, as HTTP's Content-Encoding: deflate means it
# The most a deflated body may inflate to: 100 events of up to 2 KB, with room to spare. A
# body that would inflate further is refused before it takes the memory (a deflate bomb).
INFLATED_MAX = 4 * 1024 * 1024
# zlib's fastest level: the default (6) took 2-3 times the CPU for 10-15 % fewer bytes.
LEVEL = 1


class UnreadableBody(ValueError):
    """A body marked deflated that cannot be read: the message is parked, not retried."""


class BodyNotDeflated(UnreadableBody):
    """Marked deflated, but not (or not whole) deflate data."""


class BodyTooLarge(UnreadableBody):
    """Deflate data that would inflate beyond `INFLATED_MAX`."""


def deflated(body: bytes) -> bytes:
    """`body` deflated, for a message marked `content_encoding=DEFLATE`."""
    return zlib.compress(body, LEVEL)


def body_of(message: AbstractMessage) -> bytes:
    """The body as its publisher wrote it: inflated when it came deflated, any other body
    as it came (a publisher that does not deflate sets no `content_encoding`). A message
    received or one about to be sent alike."""
    if message.content_encoding != DEFLATE:
        return message.body
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(message.body, INFLATED_MAX)
    except zlib.error:
        raise BodyNotDeflated("a body marked deflated that is not deflate data") from None
    if inflater.unconsumed_tail:
        raise BodyTooLarge(f"a deflated body inflating beyond {INFLATED_MAX} bytes")
    if not inflater.eof:
        raise BodyNotDeflated("a deflated body cut short")
    if inflater.unused_data:  # two bodies joined: the second would go unread
        raise BodyNotDeflated("bytes after the deflated body")
    return body
