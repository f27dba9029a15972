"""Deciding the commands of one or more partitions in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from allocator.service_layer.decide import decide
from allocator.service_layer.decided import Handlers
from allocator.service_layer.errors import CommandFailed, Fenced
from allocator.service_layer.ports import UnitOfWork
from opd_contracts import CommandEnvelope, Reply

__all__ = ["Item", "decide_batch"]

Item = tuple[int, CommandEnvelope]  # a command, and the partition whose queue it came from


async def decide_batch(uow: UnitOfWork, items: Sequence[Item], now: dt.datetime, *,
                       handlers: Handlers, is_transient: Callable[[BaseException], bool]
                       ) -> list[Reply | Fenced]:
    """Every command in order, then one commit: a reply per command, or Fenced for the
    commands of a partition another process owns now (those are not decided)."""
    mine = [envelope for partition, envelope in items if partition not in uow.fenced]
    await uow.prepare(mine)
    results: list[Reply | Fenced] = []
    for position, (partition, envelope) in enumerate(items):
        if partition in uow.fenced:
            results.append(Fenced(f"partition {partition} is owned by another process now"))
            continue
        try:
            results.append(await decide(uow, envelope, now, partition, handlers))
        except Exception as error:
            if is_transient(error):
                raise  # the database's doing (away, or a deadlock), not the command's
            raise CommandFailed(position, error) from error
    await uow.commit()
    return results
