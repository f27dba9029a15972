"""Reading an event off the wire, and applying it patiently while the database is away
(away as every service means it: `opd_shared.database.is_unreachable`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from faststream.exceptions import RejectMessage
from pydantic import ValidationError

from opd_shared.contracts import EventEnvelope
from opd_shared.database import is_unreachable

__all__ = ["apply_patiently", "parse_event"]

log = logging.getLogger(__name__)
FIRST_PAUSE = 0.2


def parse_event(body: bytes, message_id: str | None = None) -> EventEnvelope:
    """An event, or a rejection: a message that is not one will never become one."""
    try:
        return EventEnvelope.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        log.warning(
            "rejected message %s: not an event (%d errors; first at %s: %s)",
            message_id, error.error_count(), first["loc"], first["msg"],
        )
        raise RejectMessage(requeue=False) from error


async def apply_patiently(
    apply: Callable[[], Awaitable[bool]], event: EventEnvelope, max_pause: float
) -> bool:
    """Try until the database answers; any other failure is the caller's to handle."""
    pause = FIRST_PAUSE
    while True:
        try:
            return await apply()
        except Exception as error:
            if not is_unreachable(error):
                raise
            log.warning("database unreachable (%s); event %s retries in %.1fs",
                        error, event.event_id, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, max_pause)
