"""Roll-ups: small tables kept in the fact's own transaction, so range queries read
thousands of rows instead of a month of tokens. `rollups.py` says what each row counts.

A token counts on its slot's day (`day`); arrivals count on the local day and hour it was
booked. Counts are kept twice: per doctor (keys start with the doctor, for filters) and for
the hospital (a month is a few hundred rows). Waits are kept for the hospital and per
specialization (per doctor a histogram has about as many rows as tokens: waits filtered by
doctor read the per-token minutes instead).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, PrimaryKeyConstraint, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from analytics.tables import Base

__all__ = ["ROLLUPS", "DailyCapacity", "DailyTokens", "DailyWaits", "HospitalArrivals",
           "HospitalTokens", "HourlyArrivals", "SpecialtyWaits", "TokenMove"]


class _TokenCounts:
    """Tokens by their current status, plus how many were emergencies or overflowed."""

    allocated: Mapped[int]
    checked_in: Mapped[int]
    consulting: Mapped[int]
    completed: Mapped[int]
    cancelled: Mapped[int]
    no_show: Mapped[int]
    emergencies: Mapped[int]
    overflows: Mapped[int]  # tokens admitted beyond the slot's capacity


class DailyTokens(_TokenCounts, Base):
    """Per doctor: the key starts with the doctor, so a filtered range is one index range."""

    __tablename__ = "daily_tokens"

    doctor_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)


class HospitalTokens(_TokenCounts, Base):
    """The same counts for the whole hospital: what an unfiltered range reads."""

    __tablename__ = "hospital_tokens"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)


class DailyCapacity(Base):
    """Places one doctor's active slots offer on a day, and how many tokens hold one."""

    __tablename__ = "daily_capacity"

    doctor_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    slots: Mapped[int]
    capacity: Mapped[int]
    held: Mapped[int]  # tokens waiting, in consultation or seen


class _Arrivals:
    priority: Mapped[int]
    follow_up: Mapped[int]
    online: Mapped[int]
    walk_in: Mapped[int]


class HourlyArrivals(_Arrivals, Base):
    """Tokens booked per doctor, local day and hour, one column per source."""

    __tablename__ = "hourly_arrivals"

    doctor_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)


class HospitalArrivals(_Arrivals, Base):
    __tablename__ = "hospital_arrivals"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)


class DailyWaits(Base):
    """A histogram: how many tokens of a day and source waited `minutes` (see wait_minutes)."""

    __tablename__ = "daily_waits"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    minutes: Mapped[int] = mapped_column(primary_key=True)
    tokens: Mapped[int]


class SpecialtyWaits(Base):
    """The same histogram per specialization of the token's doctor (`tokens.specialization`):
    a month of one specialization is some 20,000 rows instead of 45,000 tokens' four waits."""

    __tablename__ = "specialty_waits"
    # The count rides in the key's index: a specialization's range is an index-only scan.
    __table_args__ = (PrimaryKeyConstraint("specialization", "day", "source", "metric",
                                           "minutes", postgresql_include=["tokens"]),)

    specialization: Mapped[str] = mapped_column(String)
    day: Mapped[dt.date]
    source: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(24))
    minutes: Mapped[int]
    tokens: Mapped[int]


class TokenMove(Base):
    """One token moved by one event: why (`kind`) and how far."""

    __tablename__ = "token_moves"
    __table_args__ = (Index(None, "day", "kind"), Index(None, "doctor_id", "day"))

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[dt.date]  # the day the patient was booked for (the slot they left)
    doctor_id: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    from_slot_id: Mapped[int]
    to_slot_id: Mapped[int]
    minutes: Mapped[int | None]  # new slot start minus old slot start
    to_later_day: Mapped[bool]


# Tables in the order every transaction writes them: one order, so no two deadlock.
ROLLUPS = {model.__tablename__: model for model in (
    DailyCapacity, DailyTokens, DailyWaits, HospitalArrivals, HospitalTokens, HourlyArrivals,
    SpecialtyWaits)}
