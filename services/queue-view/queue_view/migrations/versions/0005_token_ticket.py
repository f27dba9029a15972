"""Tokens: the ticket, the unguessable code of the patient's live page.

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
    # Rows from before have none (no live page) until a rebuild from the allocator's history.
    op.add_column("tokens", sa.Column("ticket", sa.String(length=32), nullable=True))
    op.create_index("ix_tokens_ticket", "tokens", ["ticket"])


def downgrade() -> None:
    op.drop_index("ix_tokens_ticket", table_name="tokens")
    op.drop_column("tokens", "ticket")
