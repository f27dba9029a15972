from opd_shared.database import run_migrations_from_env

from allocator.adapters.orm import metadata

run_migrations_from_env(metadata)
