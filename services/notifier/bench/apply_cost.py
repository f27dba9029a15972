"""What the notifier spends applying one allocator event (issue #13: at 250 bookings/s a
profile showed ~0.75 ms per booking, a third of it deciding `near`). The workload and the
figures are the read models' shared ones (`opd_shared.readmodel.apply_cost`); this file says
how the notifier applies, and counts the notifications it decided, so that a faster version
that decides less shows itself.

`uv run --no-sync python services/notifier/bench/apply_cost.py [--doctors 200 --batches 300]`
"""

from __future__ import annotations

from sqlalchemy import func, select

from notifier.bootstrap import MIGRATIONS_DIR
from notifier.models import Notification
from notifier.projection import Notifying, apply_events
from notifier.settings import NotifierSettings
from opd_contracts import EventEnvelope
from opd_shared.readmodel.apply_cost import NOW, ReadModelUnderTest, Sessions, main
from opd_shared.readmodel.driver import batch_transaction
from opd_shared.readmodel.planning import PLANNED_ONCE_BY_INDEX


def notifier(namespace: str) -> ReadModelUnderTest:
    settings = NotifierSettings(namespace=namespace, log_level="WARNING",
                                timezone="Asia/Kolkata", notify_ahead=3, notify_minutes=15)
    notifying = Notifying(settings, frozenset({"web-app"}), sms=True)

    async def apply(sessions: Sessions, batch: list[EventEnvelope]) -> None:
        async with batch_transaction(sessions) as connection:
            await apply_events(connection, batch, notifying, NOW)

    async def told(sessions: Sessions) -> str:
        async with sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Notification))
        return f"{count} notifications in all"

    return ReadModelUnderTest("notifier", settings.database_url, MIGRATIONS_DIR, apply, told,
                              server_settings=PLANNED_ONCE_BY_INDEX)  # as bootstrap applies


if __name__ == "__main__":
    main(notifier)
