"""tokens remember the channel that booked them (object-level access)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tokens booked before this have no channel: only desk, staff and admin reach them.
    op.add_column("tokens", sa.Column("channel", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("tokens", "channel")
