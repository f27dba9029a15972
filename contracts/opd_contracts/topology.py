"""Broker names and the partition function: what every publisher and consumer agrees on.

Every name starts with the deployment's prefix so that test sessions (or two deployments)
can share one broker without seeing each other's messages. Declaring them is the
platform's job (`opd_shared.topology`); the names are contracts.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = ["EVENT_CONSUMERS", "READ_MODELS", "TopologyNames", "partition_of_doctor",
           "partition_of_record"]

# The services that keep a read model of the allocator's events, each with its own queue.
READ_MODELS = ("queue_view", "analytics")
# Every service with a queue of its own for the events: the read models and the notifier.
EVENT_CONSUMERS = (*READ_MODELS, "notifier")


def partition_of_doctor(doctor_id: int, partitions: int) -> int:
    """Stable across processes and machines (never Python's randomized `hash()`)."""
    return zlib.crc32(str(doctor_id).encode()) % partitions


def partition_of_record(record_id: int, partitions: int) -> int:
    """Slot and token ids carry their doctor's partition: the allocator issues them so that
    `id % partitions` is that partition. The gateway can route `/tokens/{id}/...` without a
    lookup, and the partition's single writer stays the only one to touch the record."""
    return record_id % partitions


@dataclass(frozen=True)
class TopologyNames:
    """`queues` command queues carry the `partitions` (0: one queue per partition). Queue `q`
    carries the partitions `p % queues == q` and is named after partition `q`, so with one
    queue per partition the names and bindings are those of every earlier version."""

    prefix: str
    partitions: int
    queues: int = 0

    @property
    def command_queues(self) -> int:
        return self.queues or self.partitions

    def queue_of(self, partition: int) -> int:
        return partition % self.command_queues

    def partitions_of(self, queue: int) -> range:
        return range(queue, self.partitions, self.command_queues)

    @property
    def commands_exchange(self) -> str:
        return f"{self.prefix}.commands"

    @property
    def events_exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dead"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}.dead"

    def routing_key(self, partition: int) -> str:
        return f"p{partition:02d}"

    def partition_queue(self, partition: int) -> str:
        """The command queue that carries `partition` (the queue numbered `partition` when
        there is one queue per partition)."""
        return f"{self.prefix}.alloc.{self.routing_key(self.queue_of(partition))}"

    def consumer_queue(self, consumer: str) -> str:
        """The durable queue in which one event consumer (`EVENT_CONSUMERS`) gets every event."""
        return f"{self.prefix}.{consumer}.events"

    def all_queue_names(self, consumers: tuple[str, ...] = EVENT_CONSUMERS) -> list[str]:
        return [
            *(self.partition_queue(q) for q in range(self.command_queues)),
            *(self.consumer_queue(c) for c in consumers),
            self.dead_letter_queue,
        ]

    def all_exchange_names(self) -> list[str]:
        return [self.commands_exchange, self.events_exchange, self.dead_letter_exchange]
