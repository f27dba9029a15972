"""The numbers a guard enforces besides each key's own rate, from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from opd_shared.access.roles import Role
from opd_shared.access.store import KeyRecord
from opd_shared.settings import ServiceSettings

__all__ = ["AccessPolicy"]

_DEFAULTS = ServiceSettings.model_construct()  # the settings' defaults, environment unread


@dataclass(frozen=True)
class AccessPolicy:
    failures_per_minute: int = _DEFAULTS.auth_failures_per_minute
    # Bookings a day of a key without a quota of its own; a role absent or 0: no limit.
    daily_bookings: Mapping[Role, int] = field(default_factory=dict)
    timezone: str = _DEFAULTS.timezone  # whose midnight starts a new day

    @classmethod
    def of(cls, settings: ServiceSettings) -> AccessPolicy:
        """Desk, staff and admin keys book without limit unless given a quota of their own:
        they are the hospital's own people at the counter and on the ward."""
        return cls(settings.auth_failures_per_minute, {
            Role.ONLINE: settings.daily_bookings_online,
            Role.PARTNER: settings.daily_bookings_partner}, settings.timezone)

    def quota(self, record: KeyRecord) -> int:
        """The key's bookings a day; 0: no limit."""
        if record.daily_bookings is not None:
            return record.daily_bookings
        return self.daily_bookings.get(record.role, 0)
