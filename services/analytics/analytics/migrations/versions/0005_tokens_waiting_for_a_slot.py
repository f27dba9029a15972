"""An index of the tokens that arrived before their slot (`day IS NULL`), by slot.

Applying a slot's first event adopts them (`analytics.state.load_state`). Through the
index on every token's slot, a prepared statement's generic plan could estimate from stale
statistics that the slots asked for hold most of the table, and scan it: 0.8 ms at 6,000
tokens, growing with the day's tokens (issue #13). This index holds only the waiting
tokens, a handful, so looking them up costs the same whatever the table's size.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tokens_waiting_slot_id", "tokens", ["slot_id"],
                    postgresql_where=sa.text("day IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_tokens_waiting_slot_id", table_name="tokens")
