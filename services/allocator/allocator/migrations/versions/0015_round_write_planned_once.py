"""write_round(): a round's write statement as a function whose statements are planned once
per connection, on the keys, as start_round's (migration 0012)

Why: the write statement (adapters/batch_io.py: its parts, the partitions' lock and the
checks of migration 0013) was one statement of CTEs over arrays, planned anew on every call
(`force_custom_plan`, `opd_shared.database`): perf of PostgreSQL's backends serving the
allocator put ~15% of their CPU in planning. Here each part is a statement of its own,
planned once (`force_generic_plan`) and run only when the round has rows for it, so a part
without rows still costs nothing. With sequential scans off the plans take the keys'
indexes even when made on empty tables (test_allocator_round_plans.py).

The guarantees are the statement's: the partitions are locked (in partition order) and
their epochs compared first, then the doctors' seqs moved by compare-and-set, both checked
by round_checked (its SQLSTATEs: OPDFN, OPDST), and a command decided meanwhile has its
inbox row's key refuse the call (23505, pk_inbox). Any error undoes the whole call. Each
statement's foreign keys are checked as it ends (in the CTEs', as the statement ended):
slots are written before the tokens that may be in them.

A changed slot or token is written whole, every column but the key, named here as the
tables have them now: a migration that adds a column to either must create this function
again (test_allocator_round_write.py fails until it does).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SIGNATURE = ("bigint[], bigint[], slots[], slots[], slots[], tokens[], tokens[], tokens[],"
              " token_counters[], bigint[], bigint[], bigint[], outbox[], inbox[]")
_SLOT_COLUMNS = ("doctor_id", "date", "start_time", "end_time", "max_capacity",
                 "current_count", "overflow_count", "last_sequence", "is_active")
_TOKEN_COLUMNS = ("token_number", "patient_name", "patient_phone", "doctor_id", "slot_id",
                  "source", "status", "priority_score", "sequence_number", "is_emergency",
                  "is_overflow", "allocated_at", "checked_in_at", "consultation_started_at",
                  "completed_at", "closed_at", "notes", "moved_from_slot_id", "move_reason",
                  "overtaken_count", "channel", "abha_number", "ticket")
_COUNTS = {"slots": ("current_count", "overflow_count", "last_sequence"),
           "tokens": ("overtaken_count",)}


def _update(table: str, records: str, columns: Sequence[str]) -> str:
    sets = ", ".join(f'"{c}" = u."{c}"' for c in columns)
    return (f"IF {records} IS NOT NULL THEN UPDATE {table} SET {sets}"
            f" FROM unnest({records}) AS u WHERE {table}.id = u.id; END IF;")


def _writes(table: str, columns: Sequence[str]) -> str:
    """A table's new records (inserted whole), changed ones (updated whole) and those whose
    counts alone changed."""
    return "\n    ".join((
        f"IF p_{table}_new IS NOT NULL THEN INSERT INTO {table}"
        f" SELECT * FROM unnest(p_{table}_new); END IF;",
        _update(table, f"p_{table}_changed", columns),
        _update(table, f"p_{table}_counts", _COUNTS[table])))


def upgrade() -> None:
    op.execute(f"""
CREATE FUNCTION write_round(
    p_partitions bigint[], p_epochs bigint[],
    p_slots_new slots[], p_slots_changed slots[], p_slots_counts slots[],
    p_tokens_new tokens[], p_tokens_changed tokens[], p_tokens_counts tokens[],
    p_counters token_counters[], p_s_doctor bigint[], p_s_found bigint[], p_s_last bigint[],
    p_events outbox[], p_replies inbox[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
    held bigint[];
    moved integer;
BEGIN
    SELECT coalesce(array_agg(o.epoch ORDER BY o.partition), '{{}}') INTO held
        FROM (SELECT o.partition, o.epoch FROM partition_owners AS o
              WHERE o.partition = ANY(p_partitions) ORDER BY o.partition FOR UPDATE) AS o;
    PERFORM round_checked(held = p_epochs, true);
    IF p_s_doctor IS NOT NULL THEN
        UPDATE doctors SET last_event_seq = m.last
            FROM unnest(p_s_doctor, p_s_found, p_s_last) AS m(id, found, last)
            WHERE doctors.id = m.id AND doctors.last_event_seq = m.found;
        GET DIAGNOSTICS moved = ROW_COUNT;
        PERFORM round_checked(true, moved = cardinality(p_s_doctor));
    END IF;
    {_writes("slots", _SLOT_COLUMNS)}
    {_writes("tokens", _TOKEN_COLUMNS)}
    IF p_counters IS NOT NULL THEN
        INSERT INTO token_counters (doctor_id, date, last_number)
            SELECT doctor_id, date, last_number FROM unnest(p_counters)
            ON CONFLICT (doctor_id, date) DO UPDATE SET last_number = excluded.last_number;
    END IF;
    IF p_events IS NOT NULL THEN
        INSERT INTO outbox (partition, routing_key, event, created_at, traceparent)
            SELECT partition, routing_key, event, created_at, traceparent
            FROM unnest(p_events);
    END IF;
    IF p_replies IS NOT NULL THEN
        INSERT INTO inbox (command_id, fingerprint, reply, decided_at)
            SELECT command_id, fingerprint, reply, decided_at FROM unnest(p_replies);
    END IF;
    RETURN 0;
END $$
""")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION write_round({_SIGNATURE})")
