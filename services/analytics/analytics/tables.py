"""Analytics' tables: the append-only fact table of events, and the current state they left.

No foreign keys between them: one doctor's events may arrive in any order (a token before
its slot). Every current-state row keeps `version`, the per-doctor `seq` of the event that
last wrote it, so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opd_shared import readmodel

__all__ = ["Base", "Doctor", "EventFact", "Slot", "Token", "metadata"]

metadata = readmodel.read_model_metadata(index_names="ix_%(table_name)s_%(column_0_N_name)s")


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        **readmodel.TYPES,
        dict[str, Any]: JSONB(),
    }


class EventFact(readmodel.EventKeyColumns, Base):
    """One row per event ever applied; its key makes a redelivery a no-op. No other index:
    nothing reads the facts but by key, and every event paid for two more (migration 0006)."""

    __tablename__ = "event_facts"

    occurred_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    payload: Mapped[dict[str, Any]]


class Doctor(readmodel.DoctorColumns, Base):
    __tablename__ = "doctors"


class Slot(readmodel.SlotColumns, Base):
    __tablename__ = "slots"
    __table_args__ = (Index(None, "date"), Index(None, "doctor_id", "date"))


class Token(readmodel.TokenColumns, Base):
    """A token's latest snapshot, without the patient's name or phone: figures need neither.

    Beyond the snapshot: `day` (its slot's date, once that slot is known), its doctor's
    `specialization` (once that doctor is known) and its waits in minutes (see
    `rollups.wait_minutes`), for figures filtered by doctor or specialization.
    """

    __tablename__ = "tokens"
    __table_args__ = (
        # Covering: waits filtered by doctor read only this index.
        Index(None, "doctor_id", "day", postgresql_include=[
            "source", "booked_to_check_in", "check_in_to_start", "booked_to_start",
            "consultation"]),
        Index(None, "token_number"),  # the audit trail looked up by the printed number
        # Tokens that arrived before their slot, few: what a slot's first event adopts
        # (`state.load_state`), found without scanning the day's tokens (migration 0005).
        Index("ix_tokens_waiting_slot_id", "slot_id", postgresql_where=text("day IS NULL")),
    )

    token_number: Mapped[str]
    doctor_id: Mapped[int]
    day: Mapped[dt.date | None]
    specialization: Mapped[str | None]
    booked_to_check_in: Mapped[int | None] = mapped_column(Integer)
    check_in_to_start: Mapped[int | None] = mapped_column(Integer)
    booked_to_start: Mapped[int | None] = mapped_column(Integer)
    consultation: Mapped[int | None] = mapped_column(Integer)
