"""Which boards a display shows: `?doctors=1,2`, `?specialization=ENT`, or every doctor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts import bounds
from queue_view.queries import doctors_by_specialization, list_doctors

__all__ = ["Selection", "SelectionDep"]


@dataclass(frozen=True)
class Selection:
    doctor_ids: tuple[int, ...] | None
    specialization: str | None
    date: dt.date | None
    next_count: int

    async def doctors(self, session: AsyncSession) -> list[int]:
        """Asked again at every change, so a doctor who joins a department appears."""
        if self.doctor_ids is not None:
            return list(self.doctor_ids)
        if self.specialization:
            return await doctors_by_specialization(session, self.specialization)
        return [doctor.id for doctor in await list_doctors(session) if doctor.is_active]


async def _selection(
    doctors: Annotated[str | None, Query(pattern=r"^\d{1,18}(,\d{1,18}){0,49}$",
                                         description="Doctor ids, comma-separated")] = None,
    # Any text a name may hold, but no control characters: PostgreSQL refuses a NUL.
    specialization: Annotated[str | None, Query(min_length=1, max_length=bounds.NAME_MAX,
                                                pattern=r"^[^\x00-\x1f\x7f]+$",
                                                description="e.g. ENT")] = None,
    date: Annotated[dt.date | None, Query(description="Default: today, hospital time")] = None,
    next_count: Annotated[int, Query(alias="next", ge=1, le=10,
                                     description="Tokens listed after the one consulting")] = 5,
) -> Selection:
    ids = tuple(dict.fromkeys(int(part) for part in doctors.split(","))) if doctors else None
    return Selection(ids, specialization, date, next_count)


SelectionDep = Annotated[Selection, Depends(_selection)]
