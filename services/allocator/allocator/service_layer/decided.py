"""What a handler returns: the reply's record, and each doctor's changes to publish."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from allocator.domain.change import Change
from allocator.domain.model import Doctor
from allocator.domain.schedule import Schedule
from allocator.service_layer.ports import UnitOfWork

__all__ = ["Decided", "Handler", "Handlers"]


@dataclass
class Decided:
    result: dict[str, Any]
    changes: list[tuple[Doctor, list[Change]]]

    @classmethod
    def on(cls, result: dict[str, Any], *schedules: Schedule) -> Decided:
        return cls(result, [(s.doctor, s.changes) for s in schedules])


Handler = Callable[[UnitOfWork, Any, dt.datetime], Awaitable[Decided]]
Handlers = Mapping[type, Handler]  # which handler decides which command (see handlers.py)
