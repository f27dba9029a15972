"""The fact table of events and the current state of doctors, slots and tokens.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _facts() -> None:
    op.create_table(
        "event_facts",
        sa.Column("event_id", sa.Uuid()),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("received_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_event_facts"),
    )
    op.create_index("ix_event_facts_doctor_id_seq", "event_facts", ["doctor_id", "seq"])
    op.create_index("ix_event_facts_type_occurred_at", "event_facts", ["type", "occurred_at"])


def _doctors() -> None:
    op.create_table(
        "doctors",
        sa.Column("id", sa.BigInteger(), autoincrement=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("specialization", sa.String(), nullable=False),
        sa.Column("room", sa.String(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_doctors"),
    )


def _slots() -> None:
    op.create_table(
        "slots",
        sa.Column("id", sa.BigInteger(), autoincrement=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("max_capacity", sa.BigInteger(), nullable=False),
        sa.Column("current_count", sa.BigInteger(), nullable=False),
        sa.Column("overflow_count", sa.BigInteger(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slots"),
    )
    op.create_index("ix_slots_date", "slots", ["date"])
    op.create_index("ix_slots_doctor_id_date", "slots", ["doctor_id", "date"])


def _tokens() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger(), autoincrement=False),
        sa.Column("token_number", sa.String(), nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority_score", sa.BigInteger(), nullable=False),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("is_overflow", sa.Boolean(), nullable=False),
        sa.Column("allocated_at", _TS, nullable=False),
        *(sa.Column(name, _TS, nullable=True) for name in (
            "checked_in_at", "consultation_started_at", "completed_at", "closed_at")),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
    )
    op.create_index("ix_tokens_doctor_id", "tokens", ["doctor_id"])
    op.create_index("ix_tokens_slot_id", "tokens", ["slot_id"])


def upgrade() -> None:
    _facts()
    _doctors()
    _slots()
    _tokens()


def downgrade() -> None:
    for table in ("tokens", "slots", "doctors", "event_facts"):
        op.drop_table(table)
