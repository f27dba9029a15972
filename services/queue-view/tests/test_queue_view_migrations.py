"""The hand-written migration matches the models, and goes down and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from opd_shared.database import migrate
from queue_view.bootstrap import MIGRATIONS_DIR
from queue_view.models import metadata
from queue_view.settings import QueueViewSettings


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrations_match_the_models_and_run_down_and_up(infra) -> None:
    settings = infra.settings(QueueViewSettings, infra.namespace("qvmig"))
    engine = create_async_engine(settings.database_url)

    await migrate(settings.database_url, MIGRATIONS_DIR)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await migrate(settings.database_url, MIGRATIONS_DIR, "base")
    async with engine.connect() as connection:
        after_down = await connection.run_sync(_tables)
    await migrate(settings.database_url, MIGRATIONS_DIR)
    async with engine.connect() as connection:
        after_up = await connection.run_sync(_tables)
    await engine.dispose()

    assert differences == []
    assert after_down == set()
    assert after_up == set(metadata.tables)
