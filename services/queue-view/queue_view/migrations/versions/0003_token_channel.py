"""Tokens: the channel that booked them, so a channel's key reads only its own.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before carry no channel (only desk, staff and admin read them); a rebuild
    # from the allocator's history fills it in.
    op.add_column("tokens", sa.Column("channel", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("tokens", "channel")
