"""The audit trail: one row per (event, token), keyed by the token; filled from the facts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Events applied before this revision: their rows, read from the facts' payloads, as
# the projection writes them (`projections`; the migration test compares the two).
BACKFILL = """
INSERT INTO token_history (token_id, event_id, seq, doctor_id, type, occurred_at, actor,
                           command_id, reason, from_status, to_status, slot_id)
SELECT (t->>'id')::bigint, f.event_id, f.seq, f.doctor_id, f.type, f.occurred_at,
       f.payload->>'actor', (f.payload->>'command_id')::uuid, f.payload->>'reason',
       COALESCE(f.payload->>'previous_status',
                CASE WHEN f.type = 'token.moved' THEN t->>'status' END),
       t->>'status', (t->>'slot_id')::bigint
FROM event_facts AS f
CROSS JOIN LATERAL jsonb_array_elements(f.payload->'tokens') AS t
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "token_history",
        sa.Column("token_id", sa.BigInteger(), autoincrement=False),
        sa.Column("event_id", sa.Uuid()),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("command_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", "event_id", name="pk_token_history"),
    )
    op.execute(BACKFILL)
    op.create_index("ix_tokens_token_number", "tokens", ["token_number"])


def downgrade() -> None:
    op.drop_index("ix_tokens_token_number", table_name="tokens")
    op.drop_table("token_history")
