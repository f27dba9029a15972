"""Each token says in which slot it was last told `near` (`tokens.near_told_slot`), so that
deciding `near` need not look the queue's head tokens up in `notifications` (`notifier.heads`).

Why: the queue-heads statement probed `notifications`' unique (token_id, rule) for every
waiting token in each touched slot's first places, ~510 probes a batch of 34 slots (each an
index descent and a heap fetch), to find about one token not yet told: 1.2-1.4 ms of
PostgreSQL's time a batch, its costliest statement (issue #13, ninth session). The token's
row is read there anyway (its status), so a column on it costs that statement nothing.

It is set in the transaction that records the `near` notification, and only then, so it
never says told where `notifications` does not; the snapshot upserts leave it alone
(`notifier.projection`). Where it is empty or names another slot (a rebuild emptied
`tokens`; the token came back to a slot it was told in before), the statement still asks
`notifications`, so its answer is the one it was.

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
    op.add_column("tokens", sa.Column("near_told_slot", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("tokens", "near_told_slot")
