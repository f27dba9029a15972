"""What analytics spends applying one allocator event (issue #13: ~500 µs of CPU per booking
under load, against a budget of 150). The workload and the figures are the read models'
shared ones (`opd_shared.readmodel.apply_cost`); this file only says how analytics applies.

`uv run --no-sync python services/analytics/bench/apply_cost.py [--doctors 200 --batches 300]`
"""

from __future__ import annotations

from analytics.database import MIGRATIONS_DIR
from analytics.projections import apply_events
from analytics.settings import AnalyticsSettings
from opd_contracts import EventEnvelope
from opd_shared.readmodel.apply_cost import IST, ReadModelUnderTest, Sessions, main
from opd_shared.readmodel.planning import PLANNED_ONCE_BY_INDEX


def analytics(namespace: str) -> ReadModelUnderTest:
    async def apply(sessions: Sessions, batch: list[EventEnvelope]) -> None:
        await apply_events(sessions, batch, IST)

    settings = AnalyticsSettings(namespace=namespace, log_level="WARNING")
    return ReadModelUnderTest("analytics", settings.database_url, MIGRATIONS_DIR, apply,
                              server_settings=PLANNED_ONCE_BY_INDEX)  # as bootstrap applies


if __name__ == "__main__":
    main(analytics)
