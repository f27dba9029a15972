"""HTTP shapes of the management reports: each a few figures and the tables behind them.

`tables` names the list fields a report exports as CSV (`?format=csv&table=<name>`; the
first is the default), so the dashboard's charts and the exports read the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ArrivalHour", "ArrivalsReport", "DoctorItem", "MoveFigure", "MovesReport", "Report",
    "TokenDay", "TokensReport", "UtilisationDay", "UtilisationDoctor", "UtilisationReport",
    "WaitFigure", "WaitsReport",
]

Percent = Field(description="In %, two decimals")


class Report(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: dt.date = Field(alias="from", description="First day counted (hospital's date)")
    end: dt.date = Field(alias="to", description="Last day counted, included")
    filters: dict[str, Any] = Field(examples=[{"doctor_id": None, "specialization": None,
                                                "source": "walk_in"}])

    tables: ClassVar[tuple[str, ...]] = ()  # list fields exported as CSV; the first by default


class TokenDay(BaseModel):
    date: dt.date
    source: str
    allocated: int
    checked_in: int
    consulting: int
    completed: int
    cancelled: int
    no_show: int
    total: int
    emergencies: int
    overflows: int = Field(description="Admitted beyond the slot's capacity")


class TokensReport(Report):
    total: int
    by_status: dict[str, int]
    by_source: dict[str, int]
    emergencies: int
    overflows: int
    no_show_rate: float = Field(description="No-shows over tokens issued, in %")
    cancellation_rate: float = Field(description="Cancellations over tokens issued, in %")
    days: list[TokenDay] = Field(description="One row per day and source")

    tables: ClassVar[tuple[str, ...]] = ("days",)


class UtilisationDay(BaseModel):
    date: dt.date
    slots: int
    capacity: int
    held: int = Field(description="Places used: tokens waiting, in consultation or seen")
    utilisation: float = Percent


class UtilisationDoctor(BaseModel):
    doctor_id: int
    doctor_name: str | None
    specialization: str | None
    slots: int
    capacity: int
    held: int
    utilisation: float = Percent


class UtilisationReport(Report):
    slots: int
    capacity: int
    held: int
    utilisation: float = Percent
    doctors: list[UtilisationDoctor]
    days: list[UtilisationDay]

    tables: ClassVar[tuple[str, ...]] = ("doctors", "days")


class WaitFigure(BaseModel):
    metric: str = Field(examples=["check_in_to_start"])
    source: str = Field(examples=["all", "walk_in"])
    tokens: int = Field(description="Tokens that reached both ends of this interval")
    median_minutes: float | None
    p90_minutes: float | None


class WaitsReport(Report):
    waits: list[WaitFigure]

    tables: ClassVar[tuple[str, ...]] = ("waits",)


class ArrivalHour(BaseModel):
    hour: int = Field(ge=0, le=23, description="Hour of booking, hospital time")
    priority: int
    follow_up: int
    online: int
    walk_in: int
    total: int


class ArrivalsReport(Report):
    total: int
    peak_hour: int | None
    hours: list[ArrivalHour]

    tables: ClassVar[tuple[str, ...]] = ("hours",)


class MoveFigure(BaseModel):
    kind: str = Field(examples=["doctor_delay", "emergency_bump", "reallocation", "transfer"])
    moves: int
    tokens: int = Field(description="Distinct tokens moved")
    mean_minutes: float | None = Field(description="Mean of new slot start minus old")
    max_minutes: int | None
    to_later_day: int = Field(description="Moves that sent the patient to a later day")


class MovesReport(Report):
    moves: int
    kinds: list[MoveFigure]

    tables: ClassVar[tuple[str, ...]] = ("kinds",)


class DoctorItem(BaseModel):
    id: int
    name: str
    specialization: str
    room: str | None
    is_active: bool
