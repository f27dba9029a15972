"""Two indexes of tokens that no statement of the allocator needs go: each was one more
index entry written by every booking (and every transfer's new token).

- `ix_tokens_slot` (slot_id): the unique `uq_tokens_slot_sequence` (slot_id,
  sequence_number) begins with slot_id, so loading a slot's tokens, and the foreign key's
  check when a slot is deleted, read through it instead.
- `ix_tokens_ticket` (ticket): the allocator never looks a token up by its ticket; the
  patient's page does, in queue-view's own database (and the notifier's opt-out in its).

Measured in `bench/load_cost.py --rate 600` (BENCHMARKS.md, issue #13's eighth session).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tokens_slot", table_name="tokens")
    op.drop_index("ix_tokens_ticket", table_name="tokens")


def downgrade() -> None:
    op.create_index("ix_tokens_ticket", "tokens", ["ticket"])
    op.create_index("ix_tokens_slot", "tokens", ["slot_id"])
