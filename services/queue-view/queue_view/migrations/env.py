"""Alembic environment of queue-view: run through opd_shared.database.migrate()."""

from opd_shared.database import run_migrations_from_env
from queue_view.models import metadata

run_migrations_from_env(metadata)
