"""Snapshots into rows: the newest snapshot of each record wins, whatever the order.

Every event carries full snapshots of the records it changed, stamped with the doctor's
`seq`; a read model keeps that as each row's `version`. Writing a batch is one execution
per table (`arrays.replacing`: the rows as arrays), built once per table: building it took
a twentieth of queue-view's CPU under load, and executing it once per row (asyncpg's
executemany) made PostgreSQL run 5,600 upserts of tokens for 5,600 bookings (issue #13).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts import EventEnvelope
from opd_shared.readmodel.arrays import replacing

__all__ = ["keep_newest_snapshots", "newest", "snapshot_columns", "snapshot_row", "upsert_newest"]

Row = dict[str, Any]


class Record(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=Record)


def newest(snapshots: Iterable[tuple[R, int]]) -> list[tuple[R, int]]:
    """Per record, its snapshot of the highest version (of equal versions the later: one
    event may carry a record twice), in ascending id order: every transaction locks rows in
    that one order, so two batches never wait for each other in a circle."""
    found: dict[int, tuple[R, int]] = {}
    for record, version in snapshots:
        if record.id not in found or version >= found[record.id][1]:
            found[record.id] = (record, version)
    return [found[key] for key in sorted(found)]


@functools.cache
def snapshot_columns(table: Table, *left_out: str) -> tuple[str, ...]:
    """The columns a snapshot fills: all but `version` and those `left_out`. Fields the
    table does not know (a newer contract) are not read, so they are harmless."""
    return tuple(c.name for c in table.columns if c.name not in {"version", *left_out})


def snapshot_row(record: Any, columns: Iterable[str], version: int) -> Row:
    # Attributes, not model_dump(): the contract serializes some fields for the wire (times
    # as "HH:MM"), while the table wants Python values.
    return {**{name: getattr(record, name) for name in columns}, "version": version}


async def upsert_newest(
    session: AsyncSession, table: Table, snapshots: Iterable[tuple[Any, int]]
) -> None:
    """Write each record's newest snapshot where its row is older, or absent."""
    columns = snapshot_columns(table)
    rows = [snapshot_row(record, columns, version) for record, version in newest(snapshots)]
    await replacing(table, newer_only=True).execute(session, rows)


async def keep_newest_snapshots(session: AsyncSession, events: Sequence[EventEnvelope],
                                doctors: Table, slots: Table, tokens: Table) -> None:
    """Every doctor, slot and token the events describe, as their newest snapshot: what
    each consumer of the events keeps of them before its own projection."""
    await upsert_newest(session, doctors, [(e.doctor, e.seq) for e in events if e.doctor])
    await upsert_newest(session, slots, [(slot, e.seq) for e in events for slot in e.slots])
    await upsert_newest(session, tokens, [(t, e.seq) for e in events for t in e.tokens])
