"""The fact table loses its two secondary indexes, (doctor_id, seq) and (type, occurred_at).

Nothing reads the facts by either: events are claimed by `event_id` (the primary key), the
audit trail's backfill (0003) and the purge read them whole or by key, and a rebuild
replays the allocator's outbox, not these facts. Yet every applied event paid for both:
two more index entries per row, in the statement that led analytics' PostgreSQL time under
load (issue #13: 1.55 ms and 289 buffer hits per batch of ~28 events).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_event_facts_type_occurred_at", table_name="event_facts")
    op.drop_index("ix_event_facts_doctor_id_seq", table_name="event_facts")


def downgrade() -> None:
    op.create_index("ix_event_facts_doctor_id_seq", "event_facts", ["doctor_id", "seq"])
    op.create_index("ix_event_facts_type_occurred_at", "event_facts", ["type", "occurred_at"])
