"""the allocator's tables

Revision ID: 0001
Revises:
Create Date: 2026-11-26 02:21:39.938735
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("record_ids")))
    op.create_table(
        "doctors",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("specialization", sa.String(length=120), nullable=False),
        sa.Column("room", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctors")),
    )
    op.create_index(op.f("ix_doctors_specialization"), "doctors", ["specialization"], unique=False)
    op.create_table(
        "inbox",
        sa.Column("command_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "reply",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("command_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("routing_key", sa.String(length=64), nullable=False),
        sa.Column(
            "event",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["partition", "id"],
        unique=False,
        postgresql_where="published_at IS NULL",
    )
    op.create_table(
        "token_counters",
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("doctor_id", "date", name=op.f("pk_token_counters")),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("max_capacity", sa.Integer(), nullable=False),
        sa.Column("current_count", sa.Integer(), nullable=False),
        sa.Column("overflow_count", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "current_count <= max_capacity + overflow_count", name=op.f("ck_slots_capacity")
        ),
        sa.CheckConstraint(
            "current_count >= 0 AND overflow_count >= 0", name=op.f("ck_slots_counts")
        ),
        sa.CheckConstraint("start_time < end_time", name=op.f("ck_slots_times")),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_slots_doctor_id_doctors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
    )
    op.create_index("ix_slots_doctor_date", "slots", ["doctor_id", "date"], unique=False)
    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token_number", sa.String(length=40), nullable=False),
        sa.Column("patient_name", sa.String(length=120), nullable=False),
        sa.Column("patient_phone", sa.String(length=20), nullable=True),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "priority",
                "follow_up",
                "online",
                "walk_in",
                name="source",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "allocated",
                "checked_in",
                "consulting",
                "completed",
                "cancelled",
                "no_show",
                name="tokenstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("priority_score", sa.Integer(), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("is_overflow", sa.Boolean(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consultation_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("moved_from_slot_id", sa.BigInteger(), nullable=True),
        sa.Column("move_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_tokens_doctor_id_doctors")
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_tokens_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("slot_id", "sequence_number", name="uq_tokens_slot_sequence"),
        sa.UniqueConstraint("token_number", name=op.f("uq_tokens_token_number")),
    )
    op.create_index("ix_tokens_slot", "tokens", ["slot_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tokens_slot", table_name="tokens")
    op.drop_table("tokens")
    op.drop_index("ix_slots_doctor_date", table_name="slots")
    op.drop_table("slots")
    op.drop_table("token_counters")
    op.drop_index(
        "ix_outbox_unpublished", table_name="outbox", postgresql_where="published_at IS NULL"
    )
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_index(op.f("ix_doctors_specialization"), table_name="doctors")
    op.drop_table("doctors")
    op.execute(sa.schema.DropSequence(sa.Sequence("record_ids")))
