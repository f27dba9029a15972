"""Group commit: the batches that are ready in all of this process's partitions, decided in
one transaction, so its fixed cost (fencing, look-ups, writes, commit: ten-odd round trips
and several milliseconds of CPU) is paid once for all of them.

Each partition still has one writer: a round fences every partition in it (a lock on its
row, and its epoch checked), and a partition another process owns now is answered Fenced
without touching it. A command that fails (not a refusal: an error) is set aside with its
error and the round decided again without it. When the commit itself fails, no command can
be blamed: each is then decided in a transaction of its own. Database outages are waited out,
and a round PostgreSQL aborted as a deadlock (two lanes moving patients into each other's
partitions) is decided again as a whole.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.ownership import Fenced
from allocator.adapters.workspace import Workspace
from allocator.domain.policy import Policy
from allocator.service_layer.batch import CommandFailed, Item, decide_batch
from allocator.service_layer.unit_of_work import UnitOfWork
from opd_contracts import CommandEnvelope, Reply
from opd_shared.patience import apply_patiently, is_transient

if TYPE_CHECKING:
    from allocator.entrypoints.batches import BatchDecider

__all__ = ["GroupCommit", "Result"]

log = logging.getLogger(__name__)
Result = Reply | Exception
ROUND_MAX_PAUSE = 5.0  # longest pause between tries of a round while the database is away


@dataclass
class _Batch:
    decider: BatchDecider
    envelopes: list[CommandEnvelope]
    done: asyncio.Future[list[Result]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], partitions: int,
                 timezone: str, policy: Policy, cache_size: int,
                 cache_tokens: int | None = None) -> None:
        self.workspace = Workspace(sessions, cache_size, cache_tokens)
        self.partitions, self.zone, self.policy = partitions, ZoneInfo(timezone), policy
        self._waiting: list[_Batch] = []
        self._turn = asyncio.Lock()  # one transaction at a time: it takes everything waiting

    async def decide(self, decider: BatchDecider,
                     envelopes: list[CommandEnvelope]) -> list[Result]:
        mine = _Batch(decider, envelopes)
        self._waiting.append(mine)
        async with self._turn:
            if not mine.done.done():  # else an earlier round took it along
                taken, self._waiting = self._waiting, []
                await self._round(taken)
        return mine.done.result()

    async def forget(self) -> None:
        """Trust nothing cached (a partition changed hands), between two rounds."""
        async with self._turn:
            await self.workspace.forget()

    async def _round(self, taken: list[_Batch]) -> None:
        try:
            results = await self._through_outages(_claimed(taken))
        except asyncio.CancelledError:
            self._waiting[:0] = [b for b in taken if not b.done.done()]  # for the next turn
            raise
        except Exception as error:
            results = {id(b): error for b in taken}
        for batch in taken:
            if not batch.done.done():
                _answer(batch, results.get(id(batch)))

    async def _through_outages(self, batches: list[_Batch]) -> dict[int, object]:
        return await apply_patiently(lambda: self._settle(batches),
                                     f"a round of {len(batches)} batches", ROUND_MAX_PAUSE)

    async def _settle(self, batches: list[_Batch]) -> dict[int, object]:
        items = [(b, (b.decider.partition, e)) for b in batches for e in b.envelopes]
        results: dict[int, Result] = {}
        pending = list(range(len(items)))
        while pending:
            try:
                replies = await self._transaction(batches, [items[i][1] for i in pending])
            except CommandFailed as failed:
                culprit = pending.pop(failed.position)
                results[culprit] = _failed(items[culprit][1], failed.error)
                continue
            except Exception as error:
                if is_transient(error):
                    raise
                log.exception("a transaction of %d commands failed to commit; deciding each "
                              "alone", len(pending))
                results.update(await self._one_by_one(batches, items, pending))
                break
            results.update(zip(pending, replies, strict=True))
            break
        return {id(b): [results[i] for i, (owner, _) in enumerate(items) if owner is b]
                for b in batches}

    async def _one_by_one(self, batches: list[_Batch], items: list[tuple[_Batch, Item]],
                          positions: list[int]) -> dict[int, Result]:
        results: dict[int, Result] = {}
        for i in positions:
            try:
                [results[i]] = await self._transaction(batches, [items[i][1]])
            except Exception as error:
                if is_transient(error):
                    raise
                cause = error.error if isinstance(error, CommandFailed) else error
                results[i] = _failed(items[i][1], cause)
        return results

    async def _transaction(self, batches: list[_Batch], items: Sequence[Item]) -> list[Result]:
        now = dt.datetime.now(self.zone)
        await self.workspace.start_day(now.date())
        epochs = {b.decider.partition: b.decider.epoch for b in batches}
        async with UnitOfWork(self.workspace, epochs, self.partitions,  # type: ignore[arg-type]
                              self.policy) as uow:
            return list(await decide_batch(uow, items, now))


def _claimed(taken: list[_Batch]) -> list[_Batch]:
    """The batches of partitions this process holds; the others are answered Fenced now."""
    claimed = []
    for batch in taken:
        if batch.decider.epoch is None:
            batch.done.set_exception(Fenced(f"partition {batch.decider.partition} is not claimed"))
        else:
            claimed.append(batch)
    return claimed


def _answer(batch: _Batch, results: object) -> None:
    """Each command's result; a partition fenced meanwhile gets Fenced for the whole batch."""
    if isinstance(results, Exception):
        batch.done.set_exception(results)
        return
    fenced = next((r for r in results if isinstance(r, Fenced)), None)  # type: ignore[union-attr]
    if fenced is not None:
        batch.done.set_exception(fenced)
    else:
        batch.done.set_result(results)  # type: ignore[arg-type]


def _failed(item: Item, error: Exception) -> Exception:
    log.error("partition %d: command %s failed", item[0], item[1].command_id, exc_info=error)
    return error
