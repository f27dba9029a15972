"""The OPD's words, shared by every service and by the allocator's pure domain.

Standard library only: the domain may import this module without pulling in pydantic.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SOURCE_WEIGHTS", "Source", "TokenStatus"]


class Source(StrEnum):
    PRIORITY = "priority"  # VIP, paid or emergency
    FOLLOW_UP = "follow_up"
    ONLINE = "online"
    WALK_IN = "walk_in"


SOURCE_WEIGHTS: dict[Source, int] = {
    Source.PRIORITY: 10,
    Source.FOLLOW_UP: 5,
    Source.ONLINE: 3,
    Source.WALK_IN: 1,
}


class TokenStatus(StrEnum):
    ALLOCATED = "allocated"
    CHECKED_IN = "checked_in"
    CONSULTING = "consulting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
