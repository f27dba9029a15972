"""A read model's batches on a connection of their own whose statements are planned once and
read tables only through an index: `applying_sessions`.

Why: every connection plans each statement for its parameters
(`opd_shared.database.CONNECTION_SETTINGS`), so every batch planned all of its statements
anew: in analytics' PostgreSQL backend, planning and copying the statements for it were
~16% of its CPU (perf, 1,770 samples of `apply_cost.py`; issue #13, tenth session).
queue-view's one statement is planned once already (`opd_shared.database.planned_once`):
it reads no table. Analytics' batch also reads rows by key (`id = ANY($1)`, a doctor's
tokens, the tokens waiting for a slot), and a generic plan made while a table was small
reads it whole, a cost that grows with the table (the regression `force_custom_plan` was
set for). With sequential scans off, the planner takes an index for each of those reads
whatever the statistics, as the allocator's `start_round()` does inside its function
(allocator migration 0012). Here the setting holds for the whole connection, so it serves
only statements that read every table through an index: a read model's batch, where each
read is by a key or an index made for it and each write is an insert whose conflicts its
unique key finds. A test of each read model that uses it holds its statements' plans, made
on empty tables, to no sequential scan.

`enable_seqscan = off` forbids nothing: where no index serves a read, the plan still scans
(at a planning cost of 1e10, which such a test sees as a `Seq Scan`).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_shared.database import Pool, new_engine
from opd_shared.settings import ServiceSettings

__all__ = ["PLANNED_ONCE_BY_INDEX", "applying_sessions"]

# Named, so that each backend says whose it is (pg_stat_activity).
PLANNED_ONCE_BY_INDEX = {"plan_cache_mode": "force_generic_plan", "enable_seqscan": "off",
                         "application_name": "planned once, by index"}


def applying_sessions(stack: AsyncExitStack, settings: ServiceSettings,
                      pool: Pool | None = None) -> async_sessionmaker[AsyncSession]:
    """Sessions on the service's database, on connections of their own
    (`PLANNED_ONCE_BY_INDEX`), disposed of when `stack` closes. One connection by default:
    a read model's consumer applies one batch at a time."""
    engine = new_engine(settings.database_url, pool or Pool(1, 1),
                        connect_args={"server_settings": PLANNED_ONCE_BY_INDEX})
    stack.push_async_callback(engine.dispose)
    return async_sessionmaker(engine, expire_on_commit=False)
