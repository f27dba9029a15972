"""A daily booking quota per key (NULL: the role's default from the settings)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: existing keys follow their role's default, and adding
    # the column rewrites no row (a metadata change in PostgreSQL).
    op.add_column("api_keys", sa.Column("daily_bookings", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("api_keys", "daily_bookings")
