"""The hand-written migrations build exactly the tables the code maps, and undo them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.audit import TokenChange
from analytics.database import MIGRATIONS_DIR
from analytics.rollup_tables import ROLLUPS
from analytics.settings import AnalyticsSettings
from analytics.tables import metadata
from opd_shared.database import migrate


def _differences(connection: Connection) -> list:
    return compare_metadata(MigrationContext.configure(connection), metadata)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_match_the_tables_and_go_down_and_up_again(infra):
    settings = infra.settings(AnalyticsSettings, infra.namespace("an"))
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

    # the comparison covered the roll-ups and the audit trail
    assert {*ROLLUPS, TokenChange.__tablename__} <= set(metadata.tables)
    assert differences == []
    assert after_down == {"alembic_version"}
    assert after_up == {"alembic_version", "event_facts", "doctors", "slots", "tokens",
                        "daily_tokens", "daily_capacity", "hourly_arrivals", "daily_waits",
                        "hospital_tokens", "hospital_arrivals", "token_moves",
                        "specialty_waits", "token_history"}
