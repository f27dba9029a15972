"""An index of the live tokens by slot in queue order (`notifier.heads`).

Deciding `near` reads the first places of each touched slot's queue. Without this index
PostgreSQL ranked every live token of those slots to find them: ~13 ms a batch of 20-50
events with 250-500 tokens a slot (issue #13). With it, a slot's head is the first entries
of one index range. The order is `opd_shared.readmodel.queue_order`'s, and its 'consulting'
and the live statuses are literals, as in the statement, or the index would not match it
(`tests/test_notifier_queue_heads.py` checks that the statement reads through it).

The index of every token by slot goes: nothing else reads tokens by slot, and each index is
one more write of every booking and call.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tokens_queue_place", "tokens",
        ["slot_id", sa.text("(status = 'consulting') DESC"), sa.text("is_emergency DESC"),
         sa.text("priority_score DESC"), "sequence_number", "id"],
        postgresql_where=sa.text("status IN ('allocated', 'checked_in', 'consulting')"))
    op.drop_index("ix_tokens_slot_id", table_name="tokens")


def downgrade() -> None:
    op.create_index("ix_tokens_slot_id", "tokens", ["slot_id"])
    op.drop_index("ix_tokens_queue_place", table_name="tokens")
