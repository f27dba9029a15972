"""Analytics applies each batch on a connection of its own whose statements are planned once
and read tables only through an index (`opd_shared.readmodel.planning`): planning every
statement for its parameters was about a sixth of its PostgreSQL backend's CPU (issue #13).

That is safe only while each plan, made once and kept, reads every table through an index
even when it was made on empty tables: one that read a table whole would get dearer with
every token recorded (the regression `force_custom_plan` was set for)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.projections import apply_events
from opd_contracts.vocabulary import Source
from opd_shared.readmodel.planning import PLANNED_ONCE_BY_INDEX
from opd_shared.testing import explaining, plan_nodes, table_reads

DAY = dt.date(2026, 3, 9)
ZONE = ZoneInfo("Asia/Kolkata")
# A part of each statement a batch may send, as it shows in the plan's query text.
_STATEMENTS = {
    "facts": "INSERT INTO event_facts", "by id": "SELECT d, NULL::slots, NULL::tokens",
    "waiting for a slot": "tokens.day IS NULL", "a doctor's tokens": "tokens.doctor_id = ANY",
    "write": "write_doctors AS"}


@pytest.fixture
async def explained(sessions: async_sessionmaker[AsyncSession]
                    ) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], list[dict]]]:
    """Sessions on the test's freshly migrated (empty) tables, on a connection set as the
    consumer's, and the plans of the statements it runs."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    async with explaining(url, PLANNED_ONCE_BY_INDEX) as explained:
        yield explained


async def test_a_batchs_plans_read_every_table_through_an_index_when_made_on_empty_tables(
        explained, history):
    sessions, plans = explained
    batches = []
    for d in (history(), history()):  # the second run on the plans the first made
        slot = d.slot(DAY, capacity=10)
        token = d.token(slot, Source.WALK_IN)
        # A new doctor (their tokens are read) and a new slot (the tokens waiting for it).
        batches += [[d.registered(), d.opened(slot)], [d.allocated(token, d.held(slot, 1))]]
    for batch in batches:
        assert all(await apply_events(sessions, batch, ZONE))
    await asyncio.sleep(0.1)  # notices arrive with the statements, handed over by the loop

    ours = {name: [p for p in plans if part in p["Query Text"]]
            for name, part in _STATEMENTS.items()}
    assert {name: len(found) for name, found in ours.items()} == {
        "facts": 4, "by id": 4, "waiting for a slot": 2, "a doctor's tokens": 2, "write": 4}
    reads = {read for found in ours.values() for p in found for read in table_reads(p["Plan"])}
    assert {read.split()[-1] for read in reads} == {
        "pk_doctors", "pk_slots", "pk_tokens", "ix_tokens_waiting_slot_id",
        "ix_tokens_doctor_id_day"}, reads
    # Planned once: the conditions name the parameters, not one batch's values.
    conditions = [n["Index Cond"] for found in ours.values() for p in found
                  for n in plan_nodes(p["Plan"]) if "Index Cond" in n]
    assert conditions and all("$" in c for c in conditions), conditions


async def test_batches_are_applied_on_connections_planned_once_by_index(start_analytics,
                                                                         history):
    async with start_analytics() as service:
        await service.publish(history().registered())
        await service.eventually(service.facts, lambda n: n == 1)
        async with service.runtime.sessions() as session:
            names = set((await session.scalars(text(
                "SELECT application_name FROM pg_stat_activity"
                " WHERE datname = current_database()"))).all())

    assert PLANNED_ONCE_BY_INDEX["application_name"] in names
