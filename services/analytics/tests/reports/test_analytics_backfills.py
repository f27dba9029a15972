"""A database projected before migrations 0003 and 0004 gets the same audit trail, token
specializations and specialization histograms from their backfills as the projection writes
event by event: an existing deployment needs no replay."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.database import MIGRATIONS_DIR, create_engine, create_session_factory
from analytics.projections import apply_event
from analytics.settings import AnalyticsSettings
from opd_shared.database import migrate

ZONE = ZoneInfo("Asia/Kolkata")
WRITTEN = {  # what 0003 and 0004 fill in, each as sorted rows
    "history": "SELECT * FROM token_history ORDER BY token_id, seq",
    "specializations": "SELECT id, specialization FROM tokens ORDER BY id",
    "histograms": "SELECT * FROM specialty_waits ORDER BY 1, 2, 3, 4, 5",
}


def _down_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _written(engine: AsyncEngine) -> dict[str, list[tuple]]:
    async with engine.connect() as connection:
        return {name: [tuple(row) for row in await connection.execute(text(query))]
                for name, query in WRITTEN.items()}


def _with_callers(events):
    """Who asked, and from which request: the same for every delivery of one event."""
    said = {e.event_id: {"actor": f"key:{e.seq}:desk", "command_id": uuid.uuid4()}
            for e in events}
    return [e.model_copy(update=said[e.event_id]) for e in events]


async def test_the_backfills_write_what_the_projection_writes(infra, hospital_day):
    *_, delivered, _ = hospital_day
    settings = infra.settings(AnalyticsSettings, infra.namespace("an"))
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = create_session_factory(engine)
    for event in _with_callers(delivered):
        await apply_event(sessions, event, ZONE)
    projected = await _written(engine)

    async with engine.begin() as connection:
        await connection.run_sync(_down_to, "0002")
    await migrate(settings.database_url, MIGRATIONS_DIR)
    backfilled = await _written(engine)
    await engine.dispose()

    # 28 changes to 10 tokens (19 at doctor A, 9 at B); 17 waits, no two in one bucket
    assert {name: len(rows) for name, rows in projected.items()} == {
        "history": 28, "specializations": 10, "histograms": 17}
    assert backfilled == projected
