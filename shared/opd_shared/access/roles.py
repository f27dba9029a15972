"""What each kind of caller may do (docs/API.md, "Access")."""

from __future__ import annotations

from enum import StrEnum

from opd_contracts.vocabulary import Source

__all__ = ["CHANNEL_ROLES", "DEFAULT_RATE_PER_MINUTE", "Permission", "Role", "may_book",
           "permits"]


class Role(StrEnum):
    ONLINE = "online"  # the hospital's web or app booking
    PARTNER = "partner"  # third-party portals
    DESK = "desk"  # the OPD registration desk
    STAFF = "staff"  # doctors and nurses moving tokens through the day
    ADMIN = "admin"  # doctors, slots and keys
    DISPLAY = "display"  # a waiting-hall screen: boards, nothing else


class Permission(StrEnum):
    BOOK_EMERGENCY = "book_emergency"
    CANCEL = "cancel"
    REALLOCATE = "reallocate"
    CHECK_IN = "check_in"
    LIFECYCLE = "lifecycle"  # start, complete, no-show, call next, delay
    MANAGE_SCHEDULE = "manage_schedule"  # doctors and slots
    READ_QUEUE = "read_queue"  # boards: doctors, slots, queues, the display
    READ_TOKENS = "read_tokens"  # one token by id or number, its place in the queue
    READ_PATIENTS = "read_patients"  # every patient's name and phone
    READ_ANALYTICS = "read_analytics"


P = Permission
_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # A channel's own tokens only: CHANNEL_ROLES below scope every token command and read.
    Role.ONLINE: frozenset({P.CANCEL, P.REALLOCATE, P.READ_QUEUE, P.READ_TOKENS}),
    Role.PARTNER: frozenset({P.CANCEL, P.REALLOCATE, P.READ_QUEUE, P.READ_TOKENS}),
    Role.DESK: frozenset({P.BOOK_EMERGENCY, P.CANCEL, P.REALLOCATE, P.CHECK_IN, P.READ_QUEUE,
                          P.READ_TOKENS, P.READ_PATIENTS}),
    Role.STAFF: frozenset({P.BOOK_EMERGENCY, P.CANCEL, P.REALLOCATE, P.CHECK_IN, P.LIFECYCLE,
                           P.READ_QUEUE, P.READ_TOKENS, P.READ_PATIENTS, P.READ_ANALYTICS}),
    Role.ADMIN: frozenset(Permission),
    Role.DISPLAY: frozenset({P.READ_QUEUE}),
}
# Keys held outside the hospital: they act on, and see, only the tokens their channel booked.
CHANNEL_ROLES = frozenset({Role.ONLINE, Role.PARTNER})
_SOURCES: dict[Role, frozenset[Source]] = {
    Role.ONLINE: frozenset({Source.ONLINE}),
    Role.PARTNER: frozenset({Source.ONLINE, Source.FOLLOW_UP}),
    Role.DESK: frozenset(Source),
    Role.STAFF: frozenset(Source),
    Role.ADMIN: frozenset(Source),
    Role.DISPLAY: frozenset(),
}
DEFAULT_RATE_PER_MINUTE: dict[Role, int] = {
    Role.ONLINE: 1200, Role.PARTNER: 600, Role.DESK: 600, Role.STAFF: 1200, Role.ADMIN: 6000,
    Role.DISPLAY: 600,
}


def permits(role: Role, permission: Permission) -> bool:
    return permission in _PERMISSIONS[role]


def may_book(role: Role, source: Source) -> bool:
    """An online app books `online` only; the desk and staff book every source."""
    return source in _SOURCES[role]

