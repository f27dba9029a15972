"""The slots and tokens a round added or changed, written by the round's one write statement
(batch_io) instead of an ORM flush.

Why: a flush is a statement, so a round trip, per table and kind (a booking alone flushed
UPDATE slots, UPDATE tokens and INSERT tokens), and its unit-of-work machinery besides. With
one booking to a round, writing them here took the round from 2.9 to 2.1 ms of CPU
(decide_bench; py-spy had put a quarter of the round in the flush, and a third in the sends
of all its round trips). Here each kind is one `unnest` of array columns inside the write
statement, whatever the number of rows.

The session still tracks the records (its change tracking is what finds them), and is then
told they are as written (`settle`), as a flush tells it after its statements. Rows are
written whole: a changed record is its doctor's, and the round holds that doctor's lock.
Records of other kinds (a doctor's own changes) are left to the ORM flush.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Enum, String, Table, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState

from allocator.adapters.orm import slots, tokens
from allocator.domain.model import Slot, Token

__all__ = ["RECORD_CTES", "ChangedRecords", "changed_records"]

_TABLES: dict[type, Table] = {Slot: slots, Token: tokens}
# A record's row straight from its instance dict, in the table's column order: a changed
# token is written whole, and a booking changes the overtaken count of many tokens.
_ROW = {table: itemgetter(*(c.name for c in table.columns)) for table in _TABLES.values()}


def _array_type(table: Table, name: str) -> str:
    """Strings are cast to text, not to their varchar(n): a cast truncates a value that is
    too long, where the column, like the flush, refuses it."""
    kind = table.c[name].type
    if isinstance(kind, String | Enum):
        return "text[]"
    return f"{kind.compile(dialect=postgresql.dialect()).lower()}[]"


def _unnest(table: Table, prefix: str) -> str:
    return "unnest(" + ", ".join(f"CAST(:{prefix}_{c.name} AS {_array_type(table, c.name)})"
                                 for c in table.columns) + ")"


def _insert(table: Table, prefix: str) -> str:
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    return (f"{prefix} AS (INSERT INTO {table.name} ({names}) SELECT * FROM"
            f" {_unnest(table, prefix)})")


def _update(table: Table, prefix: str) -> str:
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    sets = ", ".join(f'"{c.name}" = u."{c.name}"' for c in table.columns
                     if not c.primary_key)
    return (f"{prefix} AS (UPDATE {table.name} SET {sets} FROM {_unnest(table, prefix)}"
            f" AS u({names}) WHERE {table.name}.id = u.id)")


# A token may be in a slot inserted by the same statement: foreign keys are checked at the
# statement's end, whatever the order of its parts.
_KINDS = [(table, kind, f"{table.name}_{kind}") for table in (slots, tokens)
          for kind in ("new", "changed")]
RECORD_CTES = ", ".join((_insert if kind == "new" else _update)(table, prefix)
                        for table, kind, prefix in _KINDS)


@dataclass
class ChangedRecords:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {prefix: [] for *_, prefix in _KINDS})
    states: list[InstanceState[Any]] = field(default_factory=list)

    def parameters(self) -> dict[str, list[Any]]:
        """The write statement's arrays: a column of each kind's rows."""
        arrays: dict[str, list[Any]] = {}
        for table, _, prefix in _KINDS:
            rows = self.rows[prefix]
            columns = zip(*rows, strict=True) if rows else ([] for _ in table.columns)
            arrays.update((f"{prefix}_{c.name}", list(column))
                          for c, column in zip(table.columns, columns, strict=True))
        return arrays

    def settle(self, session: AsyncSession) -> None:
        """Tell the session the records are as written: pending ones become persistent, and
        no change of theirs is pending any more (what a flush does after its statements)."""
        # The session's own step after a flush's statements (private, so its version is
        # pinned by uv.lock; test_allocator_record_writes fails if its meaning changes).
        if self.states:
            session.sync_session._register_persistent(set(self.states))


def changed_records(session: AsyncSession) -> ChangedRecords:
    """The slots and tokens the session holds as new or changed, as rows."""
    changed = ChangedRecords()
    for objects, kind in ((session.new, "new"), (session.dirty, "changed")):
        for record in objects:
            table = _TABLES.get(type(record))
            if table is None:
                continue  # a doctor: the ORM flush writes it
            changed.rows[f"{table.name}_{kind}"].append(_ROW[table](vars(record)))
            changed.states.append(inspect(record))
    return changed
