"""A transaction's reads before its decisions and its writes after them, one statement
each: round trips, not rows, are what a batch pays for.

The reads come after the fencing lock and in a statement of their own: under READ COMMITTED
their snapshot is then taken once the lock is granted, so they see whatever the previous
holder of the lock committed (a colleague's transfer, another process's batch). Both run in
one call of the database function `start_round` (migration 0009), one round trip. Its
statements are planned once per connection, on the keys (migration 0012; see
`opd_shared.database`: plans kept across calls went stale as the tables grew from empty, a
call took 3.7-4.9 ms where it takes 0.2), and so are the write's (write_round, 0015).
A round alone (unit_of_work) reads the same without the lock (`read_round`), each of its
two statements a transaction of its own, and its write statement checks what the lock
would have held (below); a round unread (unit_of_work: its ids in the pool) skips the read,
its write statement its one round trip, as what it would have read is what the write
checks.

Both go straight to asyncpg, on the session's connection and in its transaction, with the
span and the error the session would have given them (driver_calls.py): through the
session's async path a statement cost this process about 340 us of CPU, through asyncpg
alone about 136, a bare round trip 88 (bench/statement_costs.py). Handing them to
SQLAlchemy's driver layer as they are (`exec_driver_sql`) had saved nothing measurable:
what SQLAlchemy adds is its async execution path (greenlet, cursor adapter, result), not
the compilation. The ORM's reads and flushes between them still go through the session.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from allocator.adapters.driver_calls import DriverConnection
from allocator.adapters.record_writes import ChangedRecords
from opd_shared.driver_statement import DriverStatement

__all__ = ["AlreadyDecided", "Facts", "PartitionClaimed", "RoundRaced", "StaleSchedule",
           "Writes", "start_round", "write_all"]

_START, _READ = (DriverStatement.of(text(
    f"SELECT * FROM {function}(CAST(:partitions AS bigint[]), CAST(:commands AS uuid[]),"
    " CAST(:doctors AS bigint[]), CAST(:ids AS integer))"))
    for function in ("start_round", "read_round"))  # read_round: the same reads, no lock
# The write statement: one call of write_round (migration 0015), whose statements are
# planned once per connection, on the keys (as start_round's, migration 0012). Rows go as one
# array of their table's row type (`opd_shared.readmodel.arrays`' `records_sql`), except the
# doctors' seqs, which carry a column no table has (the seq found); a part without rows is
# NULL, and its statement is not run. Doctors' seqs move by compare-and-set: a batch that
# decided on an outdated schedule cannot commit. A command decided meanwhile by another
# writer: its row's key refuses the call (AlreadyDecided). Not ON CONFLICT DO NOTHING and a
# count: that cost PostgreSQL about 80 us more a call of 28 rows (260 -> 340, 5 alternated
# runs of 500, a one-off probe).
_ROW_ARRAYS = {"slots_new": "slots", "slots_changed": "slots", "slots_counts": "slots",
               "tokens_new": "tokens", "tokens_changed": "tokens", "tokens_counts": "tokens",
               "counters": "token_counters", "s_doctor": "bigint", "s_found": "bigint",
               "s_last": "bigint", "events": "outbox", "replies": "inbox"}
_WRITE = DriverStatement.of(text(
    "SELECT write_round(CAST(:o_partitions AS bigint[]), CAST(:o_epochs AS bigint[]), "
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _ROW_ARRAYS.items()) + ")"))
"""Why one function, not the statement of CTEs it was: that statement was planned on every
call (`force_custom_plan`): ~15% of the CPU of PostgreSQL's backends serving the allocator
(perf, decide_bench's rounds of ~28 with the relay). Planned once, PostgreSQL's CPU fell from
570 to 390 us a round of one booking (round_cost.py) and from 123 to 109 us a booking in
rounds of ~28 (decide_bench --relay), the allocator's unchanged (4 alternated runs each,
BENCHMARKS.md). Why each part is left out when it has no
rows (NULL, its statement skipped): each part is a table the executor opens with its indexes
on every execution, rows or none (perf on the allocator's backend: 14% of its CPU in
starting the executor), and a round of one booking has no new slot and rarely a changed
token. The partitions are locked and their epochs checked first, then the doctors' seqs
(migration 0013's round_checked raises otherwise, so the call fails whole): a round alone
(unit_of_work) is fenced here, not by start_round's lock."""
_FENCED, _STALE = "OPDFN", "OPDST"  # round_checked's SQLSTATEs
_DECIDED = ("23505", "pk_inbox")  # a unique violation, of the inbox's key


class RoundRaced(Exception):
    """Another writer got in between a round's reads and its write: the round is decided
    again from fresh reads (a transient failure, `SqlTransactions.is_transient`)."""


class StaleSchedule(RoundRaced):
    """A doctor's records changed under a batch that believed it was their only writer."""


class AlreadyDecided(RoundRaced):
    """A command of the round was decided by another writer after the round read the inbox:
    decided again, the round answers with that decision."""


class PartitionClaimed(RoundRaced):
    """A partition of the round changed hands after the round read its epoch: decided again,
    the round finds it fenced."""


@dataclass
class Facts:
    replies: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)  # fingerprint, json
    seqs: dict[int, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)


@dataclass
class Writes:
    epochs: dict[int, int] = field(default_factory=dict)  # the round's partitions, unfenced
    counters: list[tuple[int, dt.date, int]] = field(default_factory=list)
    seqs: list[tuple[int, int, int]] = field(default_factory=list)  # doctor, found, last
    events: list[tuple[int, str, str, dt.datetime, str | None]] = field(  # traceparent last
        default_factory=list)
    replies: list[tuple[uuid.UUID, str, str, dt.datetime]] = field(default_factory=list)
    records: ChangedRecords = field(default_factory=ChangedRecords)  # slots and tokens


async def start_round(driver: DriverConnection, partitions: Collection[int],
                      commands: Collection[uuid.UUID], doctors: Collection[int], ids: int,
                      alone: bool = False) -> tuple[dict[int, int], Facts]:
    """The round's first statement: lock the partitions (returning their epochs now), then
    read which commands were decided already, the doctors' committed event seqs, and `ids`
    fresh record ids. Or, for a round `alone` (unit_of_work), the same reads as a
    transaction of their own and without the lock (`read_round`, migration 0013): its
    write statement takes the lock and checks what these reads found."""
    epochs, facts = {}, Facts()
    arguments = {"partitions": sorted(partitions), "commands": list(commands),
                 "doctors": list(doctors), "ids": ids}
    rows = await (driver.fetch_alone(_READ, arguments) if alone
                  else driver.fetch(_START, arguments))
    for kind, key, fingerprint, value in rows:
        if kind == "epoch":
            epochs[int(key)] = int(value)
        elif kind == "inbox":
            facts.replies[uuid.UUID(key)] = (fingerprint, value)
        elif kind == "seq":
            facts.seqs[int(key)] = int(value)
        else:
            facts.ids.append(int(key))
    return epochs, facts


async def write_all(driver: DriverConnection, writes: Writes, alone: bool = False) -> None:
    """The round's one write statement, on the connection of the session the round read
    with: in its transaction, or `alone`, a transaction of its own. Raises PartitionClaimed
    when a partition's epoch is no longer `writes.epochs`', StaleSchedule when a doctor's
    seq is no longer the one found, AlreadyDecided when one of its commands was decided
    meanwhile; then nothing of it is written."""
    parameters = {
        **writes.records.parameters(),
        **_records(writes.counters, "counters", "doctor_id", "date", "last_number"),
        **_columns(writes.seqs, "s_doctor", "s_found", "s_last"),
        **_records(writes.events, "events", "partition", "routing_key", "event", "created_at",
                   "traceparent"),
        **_records(writes.replies, "replies", "command_id", "fingerprint", "reply",
                   "decided_at"),
    }
    if not parameters:
        return  # nothing decided needs writing (every command a duplicate, say)
    partitions = sorted(writes.epochs)
    arguments = {name: parameters.get(name) for name in _ROW_ARRAYS}  # NULL: no rows
    arguments["o_partitions"] = partitions
    arguments["o_epochs"] = [writes.epochs[p] for p in partitions]
    try:
        await (driver.fetch_alone(_WRITE, arguments) if alone
               else driver.fetch(_WRITE, arguments))
    except DBAPIError as error:
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate == _STALE:
            raise StaleSchedule(f"of doctors {sorted(d for d, *_ in writes.seqs)}, some were"
                                " not as this batch found them") from error
        if (sqlstate, getattr(error.__cause__, "constraint_name", None)) == _DECIDED:
            raise AlreadyDecided("a command of this round was decided meanwhile") from error
        if sqlstate == _FENCED:
            raise PartitionClaimed(f"of partitions {sorted(writes.epochs)}, some have a new"
                                   " owner") from error
        raise


def _records(rows: Sequence[tuple], parameter: str, *names: str) -> dict[str, list]:
    """A part's rows as records of its table's row type, by field name; none for a part
    without rows (it is left out)."""
    return {parameter: [dict(zip(names, row, strict=True)) for row in rows]} if rows else {}


def _columns(rows: Sequence[tuple], *names: str) -> dict[str, list]:
    """The arrays of a part with rows; none for a part without (it is left out)."""
    return {name: [row[i] for row in rows] for i, name in enumerate(names)} if rows else {}
