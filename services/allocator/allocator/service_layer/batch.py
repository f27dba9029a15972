"""Deciding the commands of one or more partitions in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from allocator.adapters.ownership import Fenced
from allocator.service_layer.decide import decide
from allocator.service_layer.unit_of_work import UnitOfWork
from opd_contracts import CommandEnvelope, Reply
from opd_shared.patience import is_transient

__all__ = ["CommandFailed", "Item", "decide_batch"]

Item = tuple[int, CommandEnvelope]  # a command, and the partition whose queue it came from


class CommandFailed(Exception):
    """One command failed, not as a refusal but as an error (a bug, bad data): the
    transaction is lost; `position` says whose fault it was."""

    def __init__(self, position: int, error: Exception) -> None:
        super().__init__(f"command {position} of the batch failed: {error!r}")
        self.position = position
        self.error = error


async def decide_batch(uow: UnitOfWork, items: Sequence[Item],
                       now: dt.datetime) -> list[Reply | Fenced]:
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
            results.append(await decide(uow, envelope, now, partition))
        except Exception as error:
            if is_transient(error):
                raise  # the database's doing (away, or a deadlock), not the command's
            raise CommandFailed(position, error) from error
    await uow.commit()
    return results
