"""Tokens: the patient's ABHA number, shown only to callers who may see the patient.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tokens", sa.Column("abha_number", sa.String(length=17), nullable=True))


def downgrade() -> None:
    op.drop_column("tokens", "abha_number")
