"""The doctors, slots and tokens a batch of events touches: read once, changed in memory by
each event in turn, written back once.

Each event changes them as it would alone:
- a snapshot replaces a row only if an older `seq` of the doctor wrote it (`version`), so
  events may arrive in any order;
- a token row takes its slot's date (`day`) and its doctor's specialization as they are when
  its snapshot is written; a slot seen for the first time gives its date to the tokens that
  arrived before it, and a doctor seen for the first time, or whose specialization changed,
  gives it to all their tokens (waits per specialization have a roll-up of their own);
- every change of a row adds its roll-up delta (the new row's contributions minus the old
  row's) to `changes`.

The deltas are summed step by step rather than taken between the first and the last row:
the totals are the same, but a roll-up row that only an intermediate row touched exists
(with zero counts) after events applied one by one, and so must exist after a batch.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg import Connection
from sqlalchemy import BigInteger, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from analytics.rollup_store import ADDING, rollup_records
from analytics.rollup_tables import TokenMove
from analytics.rollups import (
    WAIT_METRICS,
    Delta,
    add_delta,
    slot_contributions,
    token_contributions,
    wait_minutes,
)
from analytics.tables import Doctor, Slot, Token
from opd_contracts import DoctorRecord, EventEnvelope, SlotRecord, TokenRecord
from opd_shared.readmodel import (
    Together,
    ignoring,
    newest,
    replacing,
    snapshot_columns,
    snapshot_row,
    table_of,
)
from opd_shared.readmodel.driver import Statement

__all__ = ["State", "load_state", "token_row"]

DOCTORS, SLOTS, TOKENS = table_of(Doctor), table_of(Slot), table_of(Token)
_SNAPSHOT = snapshot_columns(TOKENS, "day", "specialization", *WAIT_METRICS)
# What `load_state` reads, each statement built once: `column = ANY(:ids)`, one array
# parameter whatever the number of ids (`opd_shared.readmodel.one_of` says why), and no
# expression to build and key for SQLAlchemy's cache at every batch.
_IDS = bindparam("ids", type_=ARRAY(BigInteger))
# The doctors, slots and tokens named by the batch, in one statement: each by its primary
# key (an index scan whatever the statistics), each row a record of its table's type in a
# column of its own. They were three executions, each a round of SQLAlchemy's and asyncpg's
# work: with building the rows, 25-35 µs of this process's CPU an event (`apply_cost.py`,
# issue #13).
_BY_ID = Statement.of(text(
    "SELECT d, NULL::slots, NULL::tokens FROM doctors AS d"
    " WHERE d.id = ANY(CAST(:doctors AS bigint[]))"
    " UNION ALL SELECT NULL::doctors, s, NULL::tokens FROM slots AS s"
    " WHERE s.id = ANY(CAST(:slots AS bigint[]))"
    " UNION ALL SELECT NULL::doctors, NULL::slots, t FROM tokens AS t"
    " WHERE t.id = ANY(CAST(:tokens AS bigint[]))"))
_TOKENS_WAITING_BY_SLOT = Statement.of(select(TOKENS).where(TOKENS.c.slot_id == any_(_IDS),
                                                            TOKENS.c.day.is_(None)))
_TOKENS_BY_DOCTOR = Statement.of(select(TOKENS).where(TOKENS.c.doctor_id == any_(_IDS)))
# A batch's writes, in this order: the rows as `State` left them (whole rows, inserted or
# replaced: `State` already let only newer snapshots in, and a row may change at one version,
# a day or specialization adopted), the roll-ups' deltas added, the moves recorded.
_WRITE = Together((
    *((table.name, replacing(table, newer_only=False)) for table in (DOCTORS, SLOTS, TOKENS)),
    *ADDING,
    ("token_moves", ignoring(table_of(TokenMove))),
))

Row = dict[str, Any]


def token_row(
    token: TokenRecord, day: dt.date | None, version: int, specialization: str | None
) -> Row:
    """The `tokens` row of a snapshot: its fields (never the patient), day, its doctor's
    specialization and its waits."""
    row = snapshot_row(token, _SNAPSHOT, version)
    row.update(source=token.source.value, status=token.status.value, day=day,
               specialization=specialization)
    for metric, (start, end) in WAIT_METRICS.items():
        row[metric] = wait_minutes(getattr(token, start), getattr(token, end))
    return row


@dataclass
class Rows:
    """One table's rows by id: as the database held them, and as the events so far left them.
    Rows are replaced, never changed in place, so `before` stays what was read."""

    before: dict[int, Row]
    now: dict[int, Row]

    @classmethod
    def read(cls, found: Iterable[Row]) -> Rows:
        """Rows as read, each a dict of its own (`_select`'s)."""
        before = {row["id"]: row for row in found}
        return cls(before, dict(before))

    def replaced_by(self, record_id: int, version: int) -> bool:
        """Whether a snapshot written at `version` replaces the row (or is the first)."""
        row = self.now.get(record_id)
        return row is None or row["version"] < version

    def changed(self) -> list[Row]:
        """The rows to write back, by id: every transaction locks rows in that one order."""
        return [row for key, row in sorted(self.now.items()) if row != self.before.get(key)]


@dataclass
class State:
    """The rows a batch touches, and the roll-up deltas of their changes so far."""

    doctors: Rows
    slots: Rows
    tokens: Rows
    zone: ZoneInfo  # arrivals count in the hospital's hours
    changes: Delta = field(default_factory=Counter)

    def apply(self, event: EventEnvelope) -> None:
        """One event's snapshots: its doctor, then its slots, then its tokens (which read the
        slots' dates and the doctor's specialization)."""
        if event.doctor is not None:
            self._doctor(event.doctor, event.seq)
        self._slots(event.slots, event.seq)
        self._tokens(event.tokens, event.slots, event.seq)

    def slot_start(self, slot_id: int, carried: Sequence[SlotRecord]) -> dt.datetime | None:
        """Where a slot starts (local wall clock): as the event carries it, else as known."""
        for slot in reversed(carried):  # the same slot twice: the last
            if slot.id == slot_id:
                return dt.datetime.combine(slot.date, slot.start_time)
        row = self.slots.now.get(slot_id)
        return dt.datetime.combine(row["date"], row["start_time"]) if row else None

    async def write(self, connection: Connection, moves: list[Row]) -> None:
        """The rows that changed, the summed roll-up deltas and the `moves`: one statement."""
        await _WRITE.write(connection, {
            "doctors": self.doctors.changed(), "slots": self.slots.changed(),
            "tokens": self.tokens.changed(), **rollup_records(self.changes),
            "token_moves": moves})

    def _doctor(self, doctor: DoctorRecord, version: int) -> None:
        if not self.doctors.replaced_by(doctor.id, version):
            return
        old = self.doctors.now.get(doctor.id)
        self.doctors.now[doctor.id] = snapshot_row(doctor, snapshot_columns(DOCTORS), version)
        if old is None or old["specialization"] != doctor.specialization:
            self._specialize_tokens(doctor.id, doctor.specialization)

    def _slots(self, slots: Iterable[SlotRecord], version: int) -> None:
        for slot, _ in newest((slot, version) for slot in slots):
            if not self.slots.replaced_by(slot.id, version):
                continue
            old = self.slots.now.get(slot.id)
            row = snapshot_row(slot, snapshot_columns(SLOTS), version)
            self.slots.now[slot.id] = row
            self._count(slot_contributions(row), slot_contributions(old) if old else Counter())
            if old is None:
                self._adopt_tokens(slot.id, slot.date)

    def _tokens(
        self, tokens: Iterable[TokenRecord], carried: Sequence[SlotRecord], version: int
    ) -> None:
        for token, _ in newest((token, version) for token in tokens):
            if not self.tokens.replaced_by(token.id, version):
                continue
            start = self.slot_start(token.slot_id, carried)
            doctor = self.doctors.now.get(token.doctor_id)
            self._token(token_row(token, start.date() if start else None, version,
                                  doctor["specialization"] if doctor else None))

    # Both scan the tokens in memory: few, the batch's own and those `load_state` read for it.
    def _adopt_tokens(self, slot_id: int, day: dt.date) -> None:
        """Tokens that arrived before their slot get its day now, and start counting on it."""
        for row in [t for t in self.tokens.now.values()
                    if t["slot_id"] == slot_id and t["day"] is None]:
            self._token({**row, "day": day})

    def _specialize_tokens(self, doctor_id: int, specialization: str) -> None:
        """A doctor's tokens take the doctor's specialization (new, or changed) along."""
        for row in [t for t in self.tokens.now.values()
                    if t["doctor_id"] == doctor_id and t["specialization"] != specialization]:
            self._token({**row, "specialization": specialization})

    def _token(self, row: Row) -> None:
        old = self.tokens.now.get(row["id"])
        self.tokens.now[row["id"]] = row
        self._count(token_contributions(row, self.zone),
                    token_contributions(old, self.zone) if old else Counter())

    def _count(self, new: Delta, old: Delta) -> None:
        # added, not +: a key whose steps cancel out still writes its (zero) row
        add_delta(self.changes, new, old)


async def load_state(
    connection: Connection, events: Sequence[EventEnvelope], zone: ZoneInfo
) -> State:
    """Every row the events may read or change, as committed (the caller holds the locks of
    the events' doctors): their doctors, slots and tokens, the tokens waiting for a slot
    they bring for the first time, and all tokens of a doctor whose specialization they may
    change.

    The doctors, slots and tokens the events name come in one statement (`_BY_ID`); the
    tokens waiting for a slot and a doctor's tokens in a select each, only when there is
    something to look for: each on an index of its own. One select of tokens with the three
    conditions OR-ed took 0.71 ms a call for no row found on 6,000 tokens (issue #13): a
    prepared statement's generic plan, chosen after five runs, estimates `doctor_id =
    ANY($3)` from statistics taken when the table held a few doctors' rows, and scans the
    whole table (0.8 ms at 6,000 tokens, growing with the day's tokens) even when that array
    is empty. Alone, `id = ANY($1)` is a primary-key look-up whatever the statistics, and
    the tokens waiting for a slot have an index of their own holding only them (migration
    0005). A doctor's tokens are read only at the doctor's first event or a change of
    specialization: all of them are needed then.
    """
    slots = [s for e in events for s in e.slots]
    tokens = [t for e in events for t in e.tokens]
    doctors = [e.doctor for e in events if e.doctor is not None]
    doctor_rows, slot_rows, found = await _by_id(connection, {
        "doctors": {d.id for d in doctors} | {t.doctor_id for t in tokens},
        "slots": ({s.id for s in slots} | {t.slot_id for t in tokens}
                  | {t.moved_from_slot_id for t in tokens if t.moved_from_slot_id is not None}),
        "tokens": {t.id for t in tokens}})
    unknown_slots = {s.id for s in slots} - slot_rows.before.keys()
    respecialized = {d.id for d in doctors if d.id not in doctor_rows.before
                     or doctor_rows.before[d.id]["specialization"] != d.specialization}
    found += await _select(connection, _TOKENS_WAITING_BY_SLOT, unknown_slots)
    found += await _select(connection, _TOKENS_BY_DOCTOR, respecialized)
    return State(doctor_rows, slot_rows, Rows.read(found), zone)


async def _by_id(connection: Connection, ids: dict[str, set[int]]
                 ) -> tuple[Rows, Rows, list[Row]]:
    """The doctors and slots of those ids, and the tokens' rows (`_BY_ID`)."""
    result = await _BY_ID.fetch(connection, {name: sorted(found) for name, found in ids.items()})
    doctors: list[Row] = []
    slots: list[Row] = []
    tokens: list[Row] = []
    for record in result:
        for rows, value in zip((doctors, slots, tokens), record, strict=True):
            if value is not None:
                rows.append(dict(value.items()))
    return Rows.read(doctors), Rows.read(slots), tokens


async def _select(connection: Connection, lookup: Statement, ids: Iterable[int]) -> list[Row]:
    """The rows `lookup` finds for `ids` (in ascending order): no statement for no ids."""
    values = sorted(set(ids))
    if not values:
        return []
    return [dict(row.items()) for row in await lookup.fetch(connection, {"ids": values})]
