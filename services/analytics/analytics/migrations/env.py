"""Alembic entry point: `opd_shared.database.migrate` passes the connection in."""

import analytics.rollup_tables  # noqa: F401 - registers the roll-ups on the shared metadata
from analytics.tables import metadata
from opd_shared.database import run_migrations_from_env

run_migrations_from_env(metadata)
