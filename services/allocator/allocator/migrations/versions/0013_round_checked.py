"""round_checked(): a round's write statement refuses itself when its partitions changed
hands or its doctors' seqs moved since the round read them

Why: a round of bookings on cached schedules no longer opens a transaction of its own
(adapters/unit_of_work.py: BEGIN, start_round, the write, COMMIT became start_round and the
write, each a transaction alone). Its write statement then takes the partitions' locks and
checks their epochs and the doctors' seqs itself; when they are not what the round found,
the statement must fail as a whole, rolling back what its other parts wrote, and SQL has no
expression that raises. The error's SQLSTATE tells the two apart (adapters/batch_io.py).

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
