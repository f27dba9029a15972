"""Commands for one command queue, batched only while they would wait anyway.

A command goes out at once when nothing is in flight to its queue. While a publish awaits
the broker's confirm, commands for the same queue gather here; when the confirm comes they
leave together in one message (message contract version 2), up to `BATCH_ITEMS_MAX`. No
timer: at low load every command is a batch of one and waits for nothing, under load the
batch is what the last confirm's round trip let gather. The broker's cost is per message,
so this is what brings a booking's share of it down.

One exception keeps low load from waiting: when the message in flight carries a single
command, there is no load to batch, so the next command leaves at once beside it (a second
message in flight) rather than wait for that confirm. With two command queues a quorum
queue's confirm (a few milliseconds: it waits for the write to disk) was often in flight
when the next booking came, even at 50 bookings/s: p50 27 ms and p99 71 ms, against 15
and 26 with one queue per partition; with this rule 18 and 49 (the allocator's side did
the rest: `in_flight` in `opd_shared.messaging.gathering`). Under load the messages in
flight carry several commands, and everything gathers as before.

Each command still learns its own fate: the confirm (or the failure) of the message that
carried it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from opd_contracts import CommandEnvelope
from opd_contracts.batches import BATCH_ITEMS_MAX

__all__ = ["Outlet", "Publish"]

Publish = Callable[[list[CommandEnvelope]], Awaitable[None]]  # raises when not confirmed


class Outlet:
    def __init__(self, publish: Publish, items_max: int = BATCH_ITEMS_MAX) -> None:
        self.publish, self.items_max = publish, items_max
        self._gathered: list[tuple[CommandEnvelope, asyncio.Future[None]]] = []
        self._sending: asyncio.Task[None] | None = None
        self._in_flight = 0  # commands in the message the sending task awaits
        self._beside: asyncio.Task[None] | None = None  # a lone command's neighbour

    async def send(self, envelope: CommandEnvelope) -> None:
        """Returns once the broker confirmed the message carrying `envelope`."""
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._gathered.append((envelope, confirmed))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send_all())
        elif self._in_flight == 1 and self._beside is None:  # no load to batch: no wait
            self._beside = asyncio.create_task(self._send_beside())
        await confirmed

    async def _send_all(self) -> None:
        try:
            while self._gathered:
                batch = self._next_batch()
                self._in_flight = len(batch)
                await self._send(batch)
        finally:
            self._sending, self._in_flight = None, 0

    async def _send_beside(self) -> None:
        try:
            batch = self._next_batch()
            if batch:  # else the sending task's confirm came first and took it along
                await self._send(batch)
        finally:
            self._beside = None

    def _next_batch(self) -> list[tuple[CommandEnvelope, asyncio.Future[None]]]:
        batch = self._gathered[:self.items_max]
        del self._gathered[:self.items_max]
        return batch

    async def _send(self, batch: list[tuple[CommandEnvelope, asyncio.Future[None]]]) -> None:
        try:
            await self.publish([envelope for envelope, _ in batch])
        except Exception as error:
            _settle(batch, error)
        else:
            _settle(batch, None)


def _settle(batch: list[tuple[CommandEnvelope, asyncio.Future[None]]],
            error: Exception | None) -> None:
    for _, confirmed in batch:
        if confirmed.done():  # its request went away meanwhile
            continue
        if error is None:
            confirmed.set_result(None)
        else:
            confirmed.set_exception(error)
