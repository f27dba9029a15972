"""What queue-view spends applying one allocator event (issue #13: ~330 µs of CPU per booking
under load, against a budget of 150). The workload and the figures are the read models'
shared ones (`opd_shared.readmodel.apply_cost`); this file only says how queue-view applies.

`uv run --no-sync python services/queue-view/bench/apply_cost.py [--doctors 200 --batches 300]`
"""

from __future__ import annotations

from opd_contracts import EventEnvelope
from opd_shared.database import PLANNED_ONCE
from opd_shared.readmodel.apply_cost import ReadModelUnderTest, Sessions, main
from queue_view.bootstrap import MIGRATIONS_DIR
from queue_view.consumer import make_applier
from queue_view.settings import QueueViewSettings


def queue_view(namespace: str) -> ReadModelUnderTest:
    async def apply(sessions: Sessions, batch: list[EventEnvelope]) -> None:
        await make_applier(sessions)(batch)  # as the consumer applies it

    settings = QueueViewSettings(namespace=namespace, log_level="WARNING")
    return ReadModelUnderTest("queue-view", settings.database_url, MIGRATIONS_DIR, apply,
                              server_settings=PLANNED_ONCE)  # as bootstrap applies


if __name__ == "__main__":
    main(queue_view)
