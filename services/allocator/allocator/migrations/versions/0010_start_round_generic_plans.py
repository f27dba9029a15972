"""start_round() plans its statements once per connection, not once per call

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Why: PL/pgSQL caches the plans of a function's statements, but PostgreSQL's plan cache
planned them anew for every call (a custom plan each time: with arrays for parameters, the
generic plan's estimates look dearer than a round's few commands). perf on the allocator's
backend (decide_bench, rounds of one booking) put 11% of its CPU in that planning, inside
start_round's 21%; with generic plans a call takes about 105 us where it took 210
(pg_stat_statements, medians of 6 runs on a loaded machine). The plans stay right as the
tables grow: ANALYZE's new statistics invalidate a cached plan.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = "start_round(bigint[], uuid[], bigint[], integer)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {_FUNCTION} SET plan_cache_mode = force_generic_plan")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {_FUNCTION} RESET plan_cache_mode")
