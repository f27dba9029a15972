"""tokens may carry the patient's ABHA number (any channel; Scan & Share always)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tokens", sa.Column("abha_number", sa.String(length=17), nullable=True))


def downgrade() -> None:
    op.drop_column("tokens", "abha_number")
