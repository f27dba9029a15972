"""Consuming a queue in batches: one consumer for the allocator's partitions and the read
models' events (`batch_consumer`), the outcomes its handlers answer (`outcomes`), the
deflated bodies events travel in (`encoding`)."""

from opd_shared.messaging.batch_consumer import BatchConsumer
from opd_shared.messaging.encoding import DEFLATE, UnreadableBody, body_of, deflated
from opd_shared.messaging.gathering import Batching
from opd_shared.messaging.items import Items, Unreadable, items_of
from opd_shared.messaging.outcomes import (
    ACK,
    Ack,
    DeadLetter,
    Delivery,
    HandBack,
    Outcome,
    Retry,
    of_items,
)

__all__ = ["ACK", "DEFLATE", "Ack", "BatchConsumer", "Batching", "DeadLetter", "Delivery",
           "HandBack", "Items", "Outcome", "Retry", "Unreadable", "UnreadableBody", "body_of",
           "deflated", "items_of", "of_items"]
