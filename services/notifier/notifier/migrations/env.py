"""Alembic environment of the notifier: run through opd_shared.database.migrate()."""

from notifier.models import metadata
from opd_shared.database import run_migrations_from_env

run_migrations_from_env(metadata)
