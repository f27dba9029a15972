"""Waits per specialization: a token row keeps its doctor's specialization, and a histogram
per specialization is kept with it; both filled from the rows already there.

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

WAITS = ("booked_to_check_in", "check_in_to_start", "booked_to_start", "consultation")
SPECIALIZATIONS = """
UPDATE tokens SET specialization = doctors.specialization
FROM doctors WHERE doctors.id = tokens.doctor_id
"""
# What `rollups.token_contributions` adds to specialty_waits, summed over the current rows.
HISTOGRAMS = f"""
INSERT INTO specialty_waits (specialization, day, source, metric, minutes, tokens)
SELECT t.specialization, t.day, t.source, w.metric, w.minutes, count(*)
FROM tokens AS t
CROSS JOIN LATERAL (VALUES {", ".join(f"('{m}', t.{m})" for m in WAITS)}) AS w(metric, minutes)
WHERE t.specialization IS NOT NULL AND t.day IS NOT NULL AND w.minutes IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""


def upgrade() -> None:
    op.add_column("tokens", sa.Column("specialization", sa.String(), nullable=True))
    op.create_table(
        "specialty_waits",
        sa.Column("specialization", sa.String()),
        sa.Column("day", sa.Date()),
        sa.Column("source", sa.String(16)),
        sa.Column("metric", sa.String(24)),
        sa.Column("minutes", sa.BigInteger()),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("specialization", "day", "source", "metric", "minutes",
                                name="pk_specialty_waits", postgresql_include=["tokens"]),
    )
    op.execute(SPECIALIZATIONS)
    op.execute(HISTOGRAMS)


def downgrade() -> None:
    op.drop_table("specialty_waits")
    op.drop_column("tokens", "specialization")
