"""The notifier applies each batch on a connection of its own whose statements are planned
once and read tables only through an index (`opd_shared.readmodel.planning`): planning every
statement for its parameters was about a sixth of its PostgreSQL backend's CPU (issue #13).

That is safe only while each plan, made once and kept, reads every table through an index
even when it was made on empty tables: one that read a table whole would get dearer with
every token and notification recorded (`notifications` only grows)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.bootstrap import MIGRATIONS_DIR
from notifier.projection import Notifying, apply_events
from notifier.settings import NotifierSettings
from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from opd_shared.database import migrate
from opd_shared.readmodel.driver import batch_transaction
from opd_shared.readmodel.planning import PLANNED_ONCE_BY_INDEX
from opd_shared.testing import eventually, explaining, plan_nodes, table_reads

from .conftest import Hall, at

# A part of each statement a batch may send, as it shows in the plan's query text.
_STATEMENTS = {"claim and keep": "INSERT INTO applied_events", "slot times": "FROM slots",
               "heads": "CROSS JOIN LATERAL", "telling": "opted_out",
               "notify and send": "INSERT INTO notifications"}


@pytest.fixture
async def explained(infra: Any) -> AsyncIterator[tuple[
        async_sessionmaker[AsyncSession], NotifierSettings, list[dict]]]:
    """Sessions on freshly migrated (empty) tables, on a connection set as the consumer's,
    and the plans of the statements it runs."""
    settings = infra.settings(NotifierSettings, infra.namespace("nt"), notify_ahead=2,
                              notify_minutes=15)
    await migrate(settings.database_url, MIGRATIONS_DIR)
    async with explaining(settings.database_url, PLANNED_ONCE_BY_INDEX) as (sessions, plans):
        yield sessions, settings, plans


async def test_a_batchs_plans_read_every_table_through_an_index_when_made_on_empty_tables(
        explained):
    sessions, settings, plans = explained
    notifying = Notifying(settings, frozenset({"web-app"}), sms=False)
    for hall in (Hall(), Hall()):  # the second run on the plans the first made
        slot = hall.slot()
        booked = [hall.token(slot) for _ in range(4)]
        booked[0] = booked[0].model_copy(update={"status": TokenStatus.CONSULTING})
        story = [  # two ahead are near; then the next goes in, and the slot is not carried
            [hall.event(EventType.TOKEN_ALLOCATED, doctor=hall.doctor(), tokens=booked,
                        slots=[slot.model_copy(update={"current_count": 4})])],
            [hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
                booked[0].model_copy(update={"status": TokenStatus.COMPLETED}),
                booked[1].model_copy(update={"status": TokenStatus.CONSULTING})])]]
        for batch in story:
            async with batch_transaction(sessions) as connection:
                assert all(await apply_events(connection, batch, notifying, at("09:05")))
    async with sessions() as session:
        told = (await session.execute(text("SELECT count(*) FROM notifications"))).scalar()
    await asyncio.sleep(0.1)  # notices arrive with the statements, handed over by the loop

    ours = {name: [p for p in plans if part in p["Query Text"]]
            for name, part in _STATEMENTS.items()}
    assert told == 8  # each hall: two near, then one called and one more near
    assert {name: len(found) for name, found in ours.items()} == {
        "claim and keep": 4, "slot times": 2, "heads": 4, "telling": 4, "notify and send": 4}
    reads = {read for found in ours.values() for p in found for read in table_reads(p["Plan"])}
    assert {read.split()[-1] for read in reads} == {
        "pk_slots", "ix_tokens_queue_place", "uq_notifications_token_id", "pk_tokens",
        "pk_doctors", "pk_opt_outs"}, reads
    # Planned once: no condition holds one batch's ids (a custom plan's '{...}' array).
    conditions = [n["Index Cond"] for found in ours.values() for p in found
                  for n in plan_nodes(p["Plan"]) if "Index Cond" in n]
    assert conditions and not any("'{" in c for c in conditions), conditions


async def test_batches_are_applied_on_connections_planned_once_by_index(notifier, hall):
    registered = hall.event(EventType.DOCTOR_REGISTERED, doctor=hall.doctor())
    sessions = notifier.app.state.runtime.sessions

    async def applied() -> int:
        async with sessions() as session:
            return (await session.execute(text(
                "SELECT count(*) FROM applied_events WHERE event_id = :id"),
                {"id": registered.event_id})).scalar_one()

    await notifier.publish(registered)
    assert await eventually(applied, lambda n: n == 1) == 1
    async with sessions() as session:
        names = set((await session.scalars(text(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE datname = current_database()"))).all())

    assert PLANNED_ONCE_BY_INDEX["application_name"] in names
