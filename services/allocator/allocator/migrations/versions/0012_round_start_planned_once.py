"""start_round() plans its statements once per connection, and never as a scan of a table.

Why: every connection of the allocator plans each statement for its parameters
(`opd_shared.database.CONNECTION_SETTINGS`, `force_custom_plan`), so every round planned
start_round's two statements anew: about a fifth of PostgreSQL's CPU for a call (a call
with its BEGIN and COMMIT, one connection, 5 x 1,000 calls: 270 us of the backend's CPU,
210 with the plans kept; a round of one booking costs PostgreSQL ~800 us in all).

Why it is safe here, where planning once was undone before (a migration 0010, removed):
those plans were made while the tables were empty, and a plan made on an empty table reads
it whole, which it kept doing as the inbox grew (3.7-4.9 ms a call). These statements read
nothing but by their primary keys (partition_owners' partition, the inbox's command_id,
doctors' id), and with sequential scans off inside the function the planner takes the
key's index whatever the table's size; the settings hold only while the function runs, so
no other statement of the connection is planned otherwise (a function's SET clause).
test_allocator_round_plans.py holds the plans to the indexes on freshly migrated tables.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_START_ROUND = "start_round(bigint[], uuid[], bigint[], integer)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {_START_ROUND} SET plan_cache_mode = force_generic_plan"
               " SET enable_seqscan = off")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {_START_ROUND} RESET ALL")
