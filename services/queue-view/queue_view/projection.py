"""Apply allocator events to the read model, once each, whatever the delivery order.

Every event carries full snapshots of what it changed, so applying it is an upsert of
each snapshot guarded by the per-doctor `seq`: a row only changes when the incoming event
is newer than the one that last wrote it. Redelivered events are recognised by their id.

A batch of events is one statement, however many events it holds (`_APPLY`): the claim of
the events' ids, the newest snapshot of each doctor, slot and token, and the per-doctor
progress of the events claimed now, each a WITH query, each table's rows one array of its
row type (`opd_shared.readmodel.together`; executed once per row, PostgreSQL ran 5,600 token
upserts for 5,600 bookings). It was five statements, one per table, in a transaction: as one
statement, its own transaction (`queue_view.consumer`), `bench/apply_cost.py` went from 84
to 59 us of this process's CPU per event and PostgreSQL's backend from 68 to 60, and the
service consuming 371 events/s in messages of 23 from 248 to 176 and 113 to 84 (issue #13;
medians of three, alternated with the five statements, on a 2-core machine at load 5-9).

The snapshots of every event in the batch are written, a repeat's too: the seq guard makes
a repeat's snapshots change nothing (its event was applied, so each of its rows holds that
seq or a newer one), while only the events the claim inserted count as applied.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from asyncpg import Connection

from opd_contracts import EventEnvelope
from opd_shared.readmodel import (
    Together,
    claim,
    ignoring,
    newest,
    replacing,
    snapshot_columns,
    snapshot_row,
    table_of,
)
from queue_view.models import AppliedEvent, Doctor, DoctorProgress, Slot, Token

__all__ = ["apply_event", "apply_events"]

APPLIED, PROGRESS = table_of(AppliedEvent), table_of(DoctorProgress)
DOCTORS, SLOTS, TOKENS = table_of(Doctor), table_of(Slot), table_of(Token)

_APPLY = Together(
    (("claim", ignoring(APPLIED, ("event_id", "doctor_id", "seq", "type"),
                        returning=("event_id", "doctor_id", "seq"))),
     *((table.name, replacing(table, newer_only=True)) for table in (DOCTORS, SLOTS, TOKENS))),
    # Per doctor, of the events claimed now: the highest seq, and how many (the gaps
    # `queue_view.progress` reports). Doctors in ascending order: the lock order.
    then=(("advanced", "INSERT INTO doctor_progress (doctor_id, max_seq, applied_count)"
           " SELECT doctor_id, max(seq), count(*) FROM write_claim"
           " GROUP BY doctor_id ORDER BY doctor_id"
           " ON CONFLICT (doctor_id) DO UPDATE SET"
           " max_seq = greatest(doctor_progress.max_seq, EXCLUDED.max_seq),"
           " applied_count = doctor_progress.applied_count + EXCLUDED.applied_count"),),
    answer="SELECT event_id FROM write_claim")


async def apply_event(connection: Connection, event: EventEnvelope) -> bool:
    """Apply `event` on the caller's asyncpg connection (in its transaction, if any); False
    when it was applied before."""
    [applied] = await apply_events(connection, [event])
    return applied


async def apply_events(connection: Connection, events: Sequence[EventEnvelope]) -> list[bool]:
    """Apply `events` on the caller's asyncpg connection (`opd_shared.readmodel.driver`), in
    its transaction if any; per event, False when it had been applied before (or came twice
    in this batch)."""

    async def apply(firsts: list[EventEnvelope]) -> set[uuid.UUID]:
        return {row["event_id"] for row in await _APPLY.fetch(connection, _rows(firsts))}

    return (await claim(events, apply)).answers


def _rows(events: list[EventEnvelope]) -> dict[str, list[dict[str, Any]]]:
    """The rows of `_APPLY`: the events' keys, in the (ascending id) order given, and the
    newest snapshot of each record they carry, in ascending id order."""
    snapshots: dict[str, list[tuple[Any, int]]] = {
        "doctors": [(e.doctor, e.seq) for e in events if e.doctor],
        "slots": [(slot, e.seq) for e in events for slot in e.slots],
        "tokens": [(t, e.seq) for e in events for t in e.tokens]}
    rows = {"claim": [{"event_id": e.event_id, "doctor_id": e.doctor_id, "seq": e.seq,
                       "type": e.type.value} for e in events]}
    for table in (DOCTORS, SLOTS, TOKENS):
        columns = snapshot_columns(table)
        rows[table.name] = [snapshot_row(record, columns, version)
                            for record, version in newest(snapshots[table.name])]
    return rows
