"""The inbox (commands already decided) and the outbox (events not yet published), as one
transaction sees them: the inbox read once for all its commands, both written at commit."""

from __future__ import annotations

import datetime as dt
import uuid

from allocator.adapters.batch_io import Facts, Writes
from opd_contracts import EventEnvelope, Reply
from opd_shared.tracing import traceparent_for

__all__ = ["Inbox", "Outbox"]


class Inbox:
    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self.known: dict[uuid.UUID, tuple[str, Reply]] = {}

    def learn(self, facts: Facts) -> None:
        """The commands of this transaction that were decided before it."""
        for command_id, (fingerprint, reply) in facts.replies.items():
            self.known[command_id] = (fingerprint, Reply.model_validate_json(reply))

    def find(self, command_id: uuid.UUID) -> tuple[str, Reply] | None:
        """The fingerprint and reply of a command decided before or earlier in this batch."""
        return self.known.get(command_id)

    def record(self, fingerprint: str, reply: Reply, now: dt.datetime) -> None:
        self.known[reply.command_id] = (fingerprint, reply)
        self.writes.replies.append((reply.command_id, fingerprint, reply.model_dump_json(), now))


class Outbox:
    def __init__(self, writes: Writes) -> None:
        self.writes = writes

    def add(self, events: list[EventEnvelope], partition: int) -> None:
        """Events of a command of `partition` (whose relay publishes them, in order)."""
        self.writes.events.extend((partition, e.type.value, e.model_dump_json(), e.occurred_at,
                                   traceparent_for(e.command_id))  # its command's trace
                                  for e in events)
