"""Alembic entry point: `opd_shared.database.migrate` passes the connection in."""

# Imported for their tables: the audit trail and the roll-ups join the shared metadata.
import analytics.audit
import analytics.rollup_tables  # noqa: F401
from analytics.tables import metadata
from opd_shared.database import run_migrations_from_env

run_migrations_from_env(metadata)
