"""The filters every management report takes: a date range, a doctor or a specialization,
and a source. Reports turn them into SQL conditions here, so they all mean the same."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, select

from analytics.deps import RuntimeDep
from analytics.tables import Doctor
from opd_contracts import bounds
from opd_contracts.vocabulary import ErrorCode, Source
from opd_shared.http import ApiError

__all__ = ["MAX_DAYS", "Filters", "FiltersDep"]

MAX_DAYS = 366


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    doctor_id: int | None = None
    specialization: str | None = None
    source: Source | None = None

    @property
    def by_doctor(self) -> bool:
        return self.doctor_id is not None or self.specialization is not None

    def of_doctors(self, column: Any) -> list[ColumnElement[bool]]:
        """Conditions on a doctor id column: the doctor, and/or their specialization."""
        where = []
        if self.doctor_id is not None:
            where.append(column == self.doctor_id)
        if self.specialization is not None:
            specialists = select(Doctor.id).where(Doctor.specialization == self.specialization)
            where.append(column.in_(specialists))
        return where

    def of_days(self, column: Any) -> ColumnElement[bool]:
        return column.between(self.start, self.end)

    def of_source(self, column: Any) -> list[ColumnElement[bool]]:
        return [column == self.source.value] if self.source else []

    def echo(self) -> dict[str, Any]:
        return {"doctor_id": self.doctor_id, "specialization": self.specialization,
                "source": self.source.value if self.source else None}


async def get_filters(
    runtime: RuntimeDep,
    start: Annotated[dt.date | None, Query(alias="from", description="Default: today")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="Default: `from`")] = None,
    doctor_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    # PostgreSQL text cannot hold NUL: refused here (422), not by the database (500).
    specialization: Annotated[str | None, Query(min_length=1, max_length=bounds.NAME_MAX,
                                                pattern=r"^[^\x00]+$")] = None,
    source: Source | None = None,
) -> Filters:
    """Dates are the hospital's days; a range runs from `from` to `to`, both included."""
    start = start or end or runtime.today()
    end = end or start
    if end < start:
        raise ApiError(422, ErrorCode.INVALID_RANGE, f"'to' ({end}) is before 'from' ({start})")
    if (end - start).days >= MAX_DAYS:
        raise ApiError(422, ErrorCode.INVALID_RANGE, f"a range covers at most {MAX_DAYS} days")
    return Filters(start, end, doctor_id, specialization, source)


FiltersDep = Annotated[Filters, Depends(get_filters)]
