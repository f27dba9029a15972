"""The index of notifications by token_id alone goes: the unique (token_id, rule), which
every insert checks anyway, begins with it and serves every read by token. It was one more
index entry written by each notification (a booking's `near`, each call, move and
cancellation).

Measured in the notifier's `bench/apply_cost.py` (BENCHMARKS.md, issue #13's eighth
session).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_notifications_token_id", table_name="notifications")


def downgrade() -> None:
    op.create_index("ix_notifications_token_id", "notifications", ["token_id"])
