"""A read model's batches on a connection of their own whose statements are planned once and
read tables only through an index: `applying_sessions`.

Why: every connection plans each statement for its parameters
(`opd_shared.database.CONNECTION_SETTINGS`), so every batch planned all of its statements
anew: in analytics' PostgreSQL backend, planning and copying the statements for it were
~16% of its CPU (perf, 1,770 samples of `apply_cost.py`; issue #13, tenth session).
Planned once, the backend's CPU an event is ~13% less in analytics (107-181 -> 94-158 us)
and ~20% less in the notifier (93-134 -> 74-107), the rows the same (`settings_cost.py`,
both settings batch by batch in one process, three runs each).

queue-view's one statement is planned once already (`opd_shared.database.planned_once`): it
reads no table. Analytics' and the notifier's batches also read rows, by key
(`id = ANY($1)`) or by an index made for the read (analytics: a doctor's tokens, the tokens
waiting for a slot; the notifier: a queue's head, what a token was told), and a generic
plan made while a table was small reads it whole, a cost that grows with the table (the
regression `force_custom_plan` was set for). With sequential scans off, the planner takes
an index for each of those reads whatever the statistics, as the allocator's
`start_round()` does inside its function (allocator migration 0012). Here the setting holds
for the whole connection, so it serves only statements that read every table through an
index with a condition: a read model's batch, whose reads are by a key or an index made
for them and whose writes find their rows by a unique key (ON CONFLICT, UPDATE by id). A
test of each read model that uses it holds its statements' plans, made on empty tables, to
those indexes (`test_analytics_plans.py`, `test_notifier_plans.py`).

`enable_seqscan = off` forbids nothing: where no index serves a read, the plan still scans
(at a planning cost of 1e10), and such a test sees the `Seq Scan`.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_shared.database import Pool, planned_once
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
    return planned_once(stack, settings, pool or Pool(1, 1), PLANNED_ONCE_BY_INDEX)
