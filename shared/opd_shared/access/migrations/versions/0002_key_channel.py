"""API keys act for a channel (the app or desk they belong to)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("channel", sa.String(length=64), nullable=True))
    # A key made before channels existed is a channel of its own.
    op.execute("UPDATE api_keys SET channel = 'key-' || id WHERE channel IS NULL")
    op.alter_column("api_keys", "channel", nullable=False)


def downgrade() -> None:
    op.drop_column("api_keys", "channel")
