"""ABDM Scan & Share: the shares received and each patient's visit of the day

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "abdm_visits",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("patient_key", sa.String(100), nullable=False),
        sa.Column("counter_code", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="0", nullable=False),
        sa.Column("booking", postgresql.JSONB(), nullable=True),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("token_number", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_abdm_visits"),
        sa.UniqueConstraint("patient_key", "counter_code", "day",
                            name="uq_abdm_visits_patient_key"),
    )
    op.create_table(
        "abdm_shares",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("counter_code", sa.String(64), nullable=False),
        sa.Column("health_id", sa.String(100), nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=True),
        sa.Column("token_number", sa.String(40), nullable=True),
        sa.Column("refusal", sa.String(500), nullable=True),
        sa.Column("callback_status", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name="pk_abdm_shares"),
        sa.ForeignKeyConstraint(["visit_id"], ["abdm_visits.id"], ondelete="SET NULL",
                                name="fk_abdm_shares_visit_id"),
    )


def downgrade() -> None:
    op.drop_table("abdm_shares")
    op.drop_table("abdm_visits")
