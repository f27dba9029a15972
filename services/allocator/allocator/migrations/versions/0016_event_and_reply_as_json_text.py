"""The outbox's events and the inbox's replies as `json`, not `jsonb`: stored as the text the
allocator wrote, validated but not parsed into jsonb's binary form

Why: perf of PostgreSQL's backends serving the allocator (decide_bench's rounds of ~28 with
the relay) put ~15% of their CPU in parsing JSON into jsonb (`jsonb_recv`: these two
columns). A `json` value is its text, checked to be JSON: a one-off probe (one backend, 28
events of 1.3 kB an `unnest`, 5 alternated runs of 300 calls) measured 23.8 -> 17.9 us of
the backend's CPU an event. Nothing reads them as jsonb but what casts them: the relay and
the replay send the stored text as it is (now the allocator's own bytes, not jsonb's
re-spelling: equivalent JSON, key order and spaces aside), `->` and `->>` work on `json`
alike, and the purge (ops/opd_ops/purge) casts them to jsonb to redact them.

Measured (decide_bench --relay, rounds of ~28, 6 alternated runs each, BENCHMARKS.md):
PostgreSQL's CPU a booking 104 -> 85 us (medians; the relay's `event::text` no longer
prints jsonb back to text either), WAL ~3,580 -> ~3,270 bytes a booking (the text is smaller
than jsonb's form), the allocator's CPU unchanged; rounds of one booking: within the noise.
ops/opd_ops/bench/visibility.py reads `event->'tokens'` with jsonb_array_elements and needs
a cast to jsonb (or json_array_elements) with this migration.

The columns are rewritten (an ALTER of their type); the downgrade parses them back.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("outbox", "event"), ("inbox", "reply"))


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE json USING {column}::json")


def downgrade() -> None:
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE jsonb"
                   f" USING {column}::jsonb")
