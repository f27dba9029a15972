"""The outbox's pages are filled half, so the relay's mark of a row (published_at) is written
on the row's own page.

Why: the relay marks every event it published, an UPDATE, so a new version of the whole row
(about 1,250 bytes for a token.allocated event, its JSON all but ~60 of them). On pages the
inserts had filled, that version went to another page, and the WAL carried all of it again:
with about 28 events to a round, the marks were ~1,400 of the ~5,200 WAL bytes a booking
(pg_waldump of decide_bench's concurrent part with the relay running beside it). Written
on the row's own page, the WAL record carries only what changed (PostgreSQL logs the
bytes between the unchanged prefix and suffix of a row updated within its page): ~3,840
bytes a booking in all. The update cannot be HOT (published_at is in the predicate of
ix_outbox_unpublished, which the relay's look-up needs), but that is no matter to where it
is written.

Why half: a page gets as many rows as fit under the fill factor, and every one of them
needs room for its marked version beside it. The table grows by less than that suggests
(5%, measured): on full pages the marked versions took pages of their own, and now the
page's pruning gives the old versions' room back. Rows written before keep their pages.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX_FILLFACTOR = 50


def upgrade() -> None:
    op.execute(f"ALTER TABLE outbox SET (fillfactor = {OUTBOX_FILLFACTOR})")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox RESET (fillfactor)")
