"""Read model: doctors, slots, tokens (latest snapshots) and applied events per doctor.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _version() -> sa.Column:
    return sa.Column("version", sa.BigInteger(), nullable=False)


def upgrade() -> None:
    _create_doctors()
    _create_slots()
    _create_tokens()
    _create_bookkeeping()


def _create_doctors() -> None:
    op.create_table(
        "doctors",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("specialization", sa.String(), nullable=False),
        sa.Column("room", sa.String(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_doctors"),
    )


def _create_slots() -> None:
    op.create_table(
        "slots",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("max_capacity", sa.BigInteger(), nullable=False),
        sa.Column("current_count", sa.BigInteger(), nullable=False),
        sa.Column("overflow_count", sa.BigInteger(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_slots"),
    )
    op.create_index("ix_slots_doctor_id", "slots", ["doctor_id", "date"])


def _create_tokens() -> None:
    optional_times = [
        sa.Column(name, sa.DateTime(timezone=True), nullable=True)
        for name in ("checked_in_at", "consultation_started_at", "completed_at", "closed_at")
    ]
    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token_number", sa.String(40), nullable=False),
        sa.Column("patient_name", sa.String(), nullable=False),
        sa.Column("patient_phone", sa.String(), nullable=True),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority_score", sa.BigInteger(), nullable=False),
        sa.Column("sequence_number", sa.BigInteger(), nullable=False),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("is_overflow", sa.Boolean(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        *optional_times,
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("moved_from_slot_id", sa.BigInteger(), nullable=True),
        sa.Column("move_reason", sa.String(), nullable=True),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
    )
    for column in ("token_number", "doctor_id", "slot_id"):
        op.create_index(f"ix_tokens_{column}", "tokens", [column])


def _create_bookkeeping() -> None:
    op.create_table(
        "applied_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True),
                  server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_applied_events"),
    )
    op.create_index("ix_applied_events_doctor_id", "applied_events", ["doctor_id", "seq"])
    op.create_table(
        "doctor_progress",
        sa.Column("doctor_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("max_seq", sa.BigInteger(), nullable=False),
        sa.Column("applied_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("doctor_id", name="pk_doctor_progress"),
    )


def downgrade() -> None:
    for table in ("doctor_progress", "applied_events", "tokens", "slots", "doctors"):
        op.drop_table(table)
