"""Interop's own tables: the ABDM shares it received, and each patient's visit of the day.

Both name patients (ABHA numbers and addresses; a visit's booking also the name and
phone until it is booked), so `make purge` deletes them once their day is past the
retention, as it blanks the tokens. A visit is (patient, counter, day): a second share
that day finds it and answers its token. It keeps the booking it sends the gateway, and
the attempt that names the idempotency key, until the token is known (interop.abdm.desk).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opd_contracts import bounds

__all__ = ["Base", "Share", "Visit", "metadata"]

metadata = MetaData(naming_convention={"ix": "ix_%(column_0_label)s",
                                       "uq": "uq_%(table_name)s_%(column_0_name)s",
                                       "fk": "fk_%(table_name)s_%(column_0_name)s",
                                       "pk": "pk_%(table_name)s"})


class Base(DeclarativeBase):
    metadata = metadata


class Visit(Base):
    __tablename__ = "abdm_visits"
    __table_args__ = (UniqueConstraint("patient_key", "counter_code", "day"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    patient_key: Mapped[str] = mapped_column(String(100))  # ABHA number, else address
    counter_code: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date]
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")
    booking: Mapped[dict[str, Any] | None] = mapped_column(JSON().with_variant(JSONB(),
                                                                               "postgresql"))
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    token_number: Mapped[str | None] = mapped_column(String(40))


class Share(Base):
    __tablename__ = "abdm_shares"

    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                     server_default=func.now())
    counter_code: Mapped[str] = mapped_column(String(64))
    health_id: Mapped[str] = mapped_column(String(100))  # whom on-share names
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("abdm_visits.id",
                                                            ondelete="SET NULL"))
    token_number: Mapped[str | None] = mapped_column(String(40))
    refusal: Mapped[str | None] = mapped_column(String(bounds.TEXT_MAX))
    callback_status: Mapped[int | None]
