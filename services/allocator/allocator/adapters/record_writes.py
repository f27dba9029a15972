"""The slots and tokens a round added or changed, written by the round's one write statement
(batch_io) instead of an ORM flush.

Why: a flush is a statement, so a round trip, per table and kind (a booking alone flushed
UPDATE slots, UPDATE tokens and INSERT tokens), and its unit-of-work machinery besides. With
one booking to a round, writing them here took the round from 2.9 to 2.1 ms of CPU
(decide_bench; py-spy had put a quarter of the round in the flush, and a third in the sends
of all its round trips). Here each kind is one array of its table's row type, a parameter of
the write statement (`write_round`, migration 0015, which unnests it), whatever the number
of rows; a kind with no rows is NULL and its statement skipped (batch_io).

Why records, not an array a column: asyncpg checks every element of an array parameter
before encoding it, and a record's fields it encodes without that check; PostgreSQL reads
one array of records for less too (`opd_shared.readmodel.arrays`). With the write
statement's other parts as records too (batch_io), this process's CPU inside the write
statement's calls fell, per booking, from 288 to 212 us in rounds of one booking, 46 to 32
in rounds of 28, 90 to 42 in rounds of 26 with two overtaken tokens a booking; PostgreSQL's
CPU a booking from 1,267 to 1,067 us in rounds of one, 160 to 135 in rounds of 28
(decide_bench's sequential, concurrent and mixed parts, alternated with the column arrays,
medians of 3 at a load of 4-5).

The session still tracks the records (its change tracking is what finds them), and is then
told they are as written (`settle`), as a flush tells it after its statements. A changed
record is its doctor's, and the round holds that doctor's lock: nobody else writes its row.
New records are written whole. So is a changed one, unless its only changes since it was
last written are its counts (`_COUNTS`): a slot's (a booking, a cancellation) or a token's
overtaken count (a newcomer queued ahead of it: domain/fairness.py); then only those are
written. Nothing is lost by that: the session's change tracking names every attribute set
since the record was last written (its `committed_state`, what a flush writes from), and a
record it names with anything else besides is written whole. Whole, a booking's slot was
ten arrays and each overtaken token 24; with the four sources booked in turn into each slot
(decide_bench's mixed part) about two tokens are overtaken a booking, and PostgreSQL's CPU
a booking fell from about 225 to 150 us (with the parts left out, batch_io).
Records of other kinds (a doctor's own changes) are left to the ORM flush.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState
from sqlalchemy.orm.attributes import instance_state

from allocator.adapters.orm import slots, tokens
from allocator.domain.model import Slot, Token

__all__ = ["ChangedRecords", "changed_records"]

_TABLES: dict[type, Table] = {Slot: slots, Token: tokens}
# The columns most changes of a written record are confined to, and then all of its row that
# is written ("counts"): a slot's counts (a booking, a cancellation), a token's overtaken
# count (a newcomer queued ahead of it).
_COUNTS = {slots: ("current_count", "overflow_count", "last_sequence"),
           tokens: ("overtaken_count",)}
_COLUMNS = {table: frozenset(table.c.keys()) for table in _COUNTS}
# A changed record's columns outside its counts: one of them changed, and it is written whole.
_BEYOND_COUNTS = {table: columns - set(_COUNTS[table]) for table, columns in _COLUMNS.items()}


@dataclass(frozen=True)
class _Kind:
    table: Table
    kind: str  # "new" (inserted), "changed" (updated whole) or "counts" (only those updated)
    columns: tuple[Column[Any], ...]

    @property
    def prefix(self) -> str:
        return f"{self.table.name}_{self.kind}"


_KINDS = [kind for table, counts in _COUNTS.items() for kind in (
    _Kind(table, "new", tuple(table.columns)), _Kind(table, "changed", tuple(table.columns)),
    _Kind(table, "counts", (table.c.id, *(table.c[name] for name in counts))))]
# A record's row straight from its instance dict: its kind's columns, by name (a field its
# kind leaves out, a count update's, is NULL in the record and not written).
_NAMES = {kind.prefix: tuple(c.name for c in kind.columns) for kind in _KINDS}


@dataclass
class ChangedRecords:
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {kind.prefix: [] for kind in _KINDS})
    states: list[InstanceState[Any]] = field(default_factory=list)

    def parameters(self) -> dict[str, list[dict[str, Any]]]:
        """The write statement's arrays of records, one for each kind that has rows (the
        others are left out of the statement)."""
        return {prefix: rows for prefix, rows in self.rows.items() if rows}

    def settle(self, session: AsyncSession) -> None:
        """Tell the session the records are as written: pending ones become persistent, and
        no change of theirs is pending any more (what a flush does after its statements)."""
        # The session's own step after a flush's statements (private, so its version is
        # pinned by uv.lock; test_allocator_record_writes fails if its meaning changes). A
        # record written before keeps its identity (ids never change), so only its changes
        # are committed: the rest of that step, its identity found anew and put back in the
        # identity map, cost ~2 us a booking (record_writes_cost: 15.25 -> 13.15 us).
        sync = session.sync_session
        new = {state for state in self.states if state.key is None}
        if new:
            sync._register_persistent(new)
        written = [state for state in self.states if state not in new]
        if written:
            InstanceState._commit_all_states(((s, s.dict) for s in written), sync.identity_map)
            sync._register_altered(written)


def _prefix(table: Table, kind: str, state: InstanceState[Any]) -> str:
    """How a record is written. Its `committed_state` names each attribute set since it was
    last written, relationships included (a slot's tokens: not a column of its own); one
    that names none (a record flagged modified) is written whole."""
    changed = state.committed_state
    if kind == "changed" and changed and _BEYOND_COUNTS[table].isdisjoint(changed):
        kind = "counts"
    return f"{table.name}_{kind}"


def changed_records(session: AsyncSession) -> ChangedRecords:
    """The slots and tokens the session holds as new or changed, as rows."""
    changed = ChangedRecords()
    for objects, kind in ((session.new, "new"), (session.dirty, "changed")):
        for record in objects:
            table = _TABLES.get(type(record))
            if table is None:
                continue  # a doctor: the ORM flush writes it
            state = instance_state(record)
            prefix = _prefix(table, kind, state)
            values = vars(record)
            changed.rows[prefix].append({name: values[name] for name in _NAMES[prefix]})
            changed.states.append(state)
    return changed
