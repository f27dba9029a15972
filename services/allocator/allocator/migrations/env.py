from allocator.adapters.orm import metadata
from opd_shared.database import run_migrations_from_env

run_migrations_from_env(metadata)
