"""Tokens: how often a newcomer was queued ahead (the allocator's fairness cap).

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
    # Rows written before this column existed were never overtaken as far as we know;
    # a rebuild brings the true counts.
    op.add_column("tokens", sa.Column("overtaken_count", sa.BigInteger(),
                                      server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("tokens", "overtaken_count")
