"""Rounds alone: read_round(), start_round's reads without its lock, and round_checked(),
with which a round's write statement refuses itself when its partitions changed hands or its
doctors' seqs moved since the round read them

Why: a round of bookings on cached schedules no longer opens a transaction of its own
(adapters/unit_of_work.py: BEGIN, start_round, the write, COMMIT became read_round and the
write, each a transaction alone). Its write statement takes the partitions' locks and checks
their epochs and the doctors' seqs itself; when they are not what the round found, the
statement must fail as a whole, rolling back what its other parts wrote, and SQL has no
expression that raises. The error's SQLSTATE tells the two apart (adapters/batch_io.py). (A
command decided meanwhile needs no check: its inbox row's key refuses the statement.)

read_round takes no lock: a lock taken by a statement alone is given back as it ends, and
taking it made that statement a transaction that writes (a row lock marks the row), whose
commit waits for the WAL to be flushed; read alone, it writes nothing. Nothing is lost by
not waiting for a holder of the lock: a previous owner can commit nothing once this
process has claimed the partition (its write checks its epoch under the lock, and the claim
waited for its lock), and what another writer commits after these reads, the write's checks
find. Its plans are made once, on the keys, as start_round's (migration 0012).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION read_round(p_partitions bigint[], p_commands uuid[], p_doctors bigint[],
                           p_ids integer)
RETURNS TABLE (kind text, key text, fingerprint text, value text)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY SELECT 'epoch'::text, o.partition::text, NULL::text, o.epoch::text
        FROM partition_owners AS o WHERE o.partition = ANY(p_partitions)
        UNION ALL SELECT 'inbox', i.command_id::text, i.fingerprint::text, i.reply::text
        FROM inbox AS i WHERE i.command_id = ANY(p_commands)
        UNION ALL SELECT 'seq', d.id::text, NULL, d.last_event_seq::text
        FROM doctors AS d WHERE d.id = ANY(p_doctors)
        UNION ALL SELECT 'id', nextval('record_ids')::text, NULL, NULL
        FROM generate_series(1, p_ids);
END $$
""")
    # VOLATILE: evaluated as the statement runs, never folded ahead of it by the planner.
    op.execute("""
CREATE FUNCTION round_checked(p_epochs_held boolean, p_seqs_held boolean) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT p_epochs_held THEN
        RAISE EXCEPTION 'a partition of this round has a new owner'
            USING ERRCODE = 'OPDFN';
    END IF;
    IF NOT p_seqs_held THEN
        RAISE EXCEPTION 'a doctor of this round was changed by another writer'
            USING ERRCODE = 'OPDST';
    END IF;
    RETURN 0;
END $$
""")


def downgrade() -> None:
    op.execute("DROP FUNCTION round_checked(boolean, boolean)")
    op.execute("DROP FUNCTION read_round(bigint[], uuid[], bigint[], integer)")
