"""The inbox (commands already decided) and the outbox (events not yet published)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from allocator.adapters.orm import inbox, outbox
from opd_shared.contracts import EventEnvelope, Reply

__all__ = ["Inbox", "Outbox"]


class Inbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, command_id: uuid.UUID) -> tuple[str, Reply] | None:
        row = (await self.session.execute(
            select(inbox.c.fingerprint, inbox.c.reply).where(inbox.c.command_id == command_id)
        )).first()
        return None if row is None else (row.fingerprint, Reply.model_validate(row.reply))

    async def record(self, fingerprint: str, reply: Reply, now: dt.datetime) -> None:
        await self.session.execute(inbox.insert().values(
            command_id=reply.command_id, fingerprint=fingerprint,
            reply=reply.model_dump(mode="json"), decided_at=now,
        ))


class Outbox:
    def __init__(self, session: AsyncSession, partition: int) -> None:
        self.session = session
        self.partition = partition

    async def add(self, events: list[EventEnvelope]) -> None:
        if events:
            await self.session.execute(outbox.insert(), [
                {"partition": self.partition, "routing_key": e.type.value,
                 "event": e.model_dump(mode="json"), "created_at": e.occurred_at}
                for e in events
            ])
