from opd_shared.access.store import metadata
from opd_shared.database import run_migrations_from_env

run_migrations_from_env(metadata)
