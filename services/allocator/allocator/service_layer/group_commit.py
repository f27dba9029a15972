"""Group commit: the batches that are ready in all of this process's partitions, decided in
one transaction, so its fixed cost (fencing, look-ups, writes, commit: ten-odd round trips
and several milliseconds of CPU) is paid once for all of them.

Each partition still has one writer: a round fences every partition in it (a lock on its
row, and its epoch checked), and a partition another process owns now is answered Fenced
without touching it. How a round's failures are told apart is in `rounds`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol
from zoneinfo import ZoneInfo

from allocator.service_layer.batch import Item, decide_batch
from allocator.service_layer.decided import Handlers
from allocator.service_layer.errors import Fenced
from allocator.service_layer.handlers import HANDLERS
from allocator.service_layer.ports import Transactions
from allocator.service_layer.rounds import Result, settle
from opd_contracts import CommandEnvelope
from opd_shared.patience import apply_patiently

__all__ = ["Claimant", "GroupCommit", "Result"]

ROUND_MAX_PAUSE = 5.0  # longest pause between tries of a round while the database is away


class Claimant(Protocol):
    """A partition's decider as a round sees it: its epoch is None until it claims one."""

    partition: int
    epoch: int | None


@dataclass
class _Batch:
    claimant: Claimant
    envelopes: list[CommandEnvelope]
    done: asyncio.Future[list[Result]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit:
    """One commit lane: one transaction at a time, taking every batch waiting for it."""

    def __init__(self, transactions: Transactions, timezone: str,
                 handlers: Handlers = HANDLERS, first_pause: float = 0.2) -> None:
        self.transactions, self.zone, self.handlers = transactions, ZoneInfo(timezone), handlers
        self.first_pause = first_pause  # before the first retry of a round the database lost
        self._waiting: list[_Batch] = []
        self._turn = asyncio.Lock()

    async def decide(self, claimant: Claimant,
                     envelopes: list[CommandEnvelope]) -> list[Result]:
        mine = _Batch(claimant, envelopes)
        self._waiting.append(mine)
        async with self._turn:
            if not mine.done.done():  # else an earlier round took it along
                taken, self._waiting = self._waiting, []
                await self._round(taken)
        return mine.done.result()

    async def forget(self) -> None:
        """Trust nothing kept (a partition changed hands), between two rounds."""
        async with self._turn:
            await self.transactions.forget()

    async def _round(self, taken: list[_Batch]) -> None:
        claimed, epochs = _claimed(taken)
        items = [(b.claimant.partition, e) for b in claimed for e in b.envelopes]
        results: list[Result] | Exception
        try:
            transient = self.transactions.is_transient
            results = await apply_patiently(
                partial(settle, partial(self._transaction, epochs), items, transient),
                f"a round of {len(claimed)} batches", ROUND_MAX_PAUSE, transient,
                self.first_pause)
        except asyncio.CancelledError:
            self._waiting[:0] = [b for b in taken if not b.done.done()]  # for the next turn
            raise
        except Exception as error:
            results = error
        _answer(claimed, results)

    async def _transaction(self, epochs: Mapping[int, int],
                           items: Sequence[Item]) -> list[Result]:
        now = dt.datetime.now(self.zone)
        async with self.transactions.begin(epochs, now, [e for _, e in items]) as uow:
            return list(await decide_batch(uow, items, now, handlers=self.handlers,
                                           is_transient=self.transactions.is_transient))


def _claimed(taken: list[_Batch]) -> tuple[list[_Batch], dict[int, int]]:
    """The batches of partitions this process holds, and its epochs of those partitions;
    the other batches are answered Fenced now."""
    claimed, epochs = [], {}
    for batch in taken:
        partition, epoch = batch.claimant.partition, batch.claimant.epoch
        if epoch is None:
            batch.done.set_exception(Fenced(f"partition {partition} is not claimed"))
        else:
            claimed.append(batch)
            epochs[partition] = epoch
    return claimed, epochs


def _answer(batches: list[_Batch], results: list[Result] | Exception) -> None:
    """Each batch its commands' results, in order; a partition fenced meanwhile gets Fenced
    for the whole batch, and a round that failed as a whole its error."""
    start = 0
    for batch in batches:
        if isinstance(results, Exception):
            batch.done.set_exception(results)
            continue
        mine, start = results[start:start + len(batch.envelopes)], start + len(batch.envelopes)
        fenced = next((r for r in mine if isinstance(r, Fenced)), None)
        if fenced is not None:
            batch.done.set_exception(fenced)
        else:
            batch.done.set_result(mine)
