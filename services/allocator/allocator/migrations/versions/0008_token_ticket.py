"""tokens carry a ticket: the unguessable code of the patient's live page and slip QR

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tokens booked before this have no ticket (no live page); new ones get one at booking.
    op.add_column("tokens", sa.Column("ticket", sa.String(length=32), nullable=True))
    # Not unique: a patient transferred to a colleague keeps the ticket on the new token.
    op.create_index("ix_tokens_ticket", "tokens", ["ticket"])


def downgrade() -> None:
    op.drop_index("ix_tokens_ticket", table_name="tokens")
    op.drop_column("tokens", "ticket")
