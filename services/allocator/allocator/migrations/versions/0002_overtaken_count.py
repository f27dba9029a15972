"""fairness: how often a waiting token was overtaken

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 02:46:15.461210
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tokens", sa.Column("overtaken_count", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("tokens", "overtaken_count")
