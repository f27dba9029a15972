"""The management figures: plain SQL aggregates over the current-state tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.breakdown import token_breakdown, utilisation
from analytics.schemas import DoctorDayAnalytics, SlotAnalytics, SystemStatus
from analytics.tables import Doctor, Slot, Token
from opd_contracts.vocabulary import TokenStatus

__all__ = ["doctor_day", "slot_figures", "system_status"]


async def system_status(session: AsyncSession, day: dt.date) -> SystemStatus:
    """Doctors overall; slots and tokens of one day (a token counts on its slot's date)."""
    doctors = select(func.count(), func.count().filter(Doctor.is_active)).select_from(Doctor)
    total_doctors, active_doctors = (await session.execute(doctors)).one()
    slots = select(func.count()).select_from(Slot).where(Slot.date == day)
    tokens = await token_breakdown(session, Slot.date == day)
    return SystemStatus(
        date=day,
        total_doctors=total_doctors,
        active_doctors=active_doctors,
        total_slots_today=await session.scalar(slots) or 0,
        total_tokens_today=tokens.total,
        tokens_by_status=tokens.by_status,
        tokens_by_source=tokens.by_source,
    )


async def slot_figures(session: AsyncSession, slot_id: int) -> SlotAnalytics | None:
    statement = (
        select(Slot, Doctor.name)
        .outerjoin(Doctor, Doctor.id == Slot.doctor_id)
        .where(Slot.id == slot_id)
    )
    found = (await session.execute(statement)).one_or_none()
    if found is None:
        return None
    slot, doctor_name = found
    tokens = await token_breakdown(session, Token.slot_id == slot_id)
    return SlotAnalytics(
        slot_id=slot.id,
        doctor_id=slot.doctor_id,
        doctor_name=doctor_name,
        date=slot.date,
        start_time=slot.start_time.strftime("%H:%M"),
        end_time=slot.end_time.strftime("%H:%M"),
        is_active=slot.is_active,
        total_capacity=slot.max_capacity,
        allocated_tokens=slot.current_count,
        max_capacity=slot.max_capacity,
        current_count=slot.current_count,
        available_capacity=max(slot.max_capacity - slot.current_count, 0),
        utilization_percentage=utilisation(slot.current_count, slot.max_capacity),
        overflow_count=slot.overflow_count,
        emergencies=tokens.emergencies,
        tokens_by_status=tokens.by_status,
        tokens_by_source=tokens.by_source,
    )


async def doctor_day(
    session: AsyncSession, doctor_id: int, day: dt.date
) -> DoctorDayAnalytics | None:
    doctor = await session.get(Doctor, doctor_id)
    if doctor is None:
        return None
    slots = select(
        func.count(), func.coalesce(func.sum(Slot.max_capacity), 0),
        func.coalesce(func.sum(Slot.current_count), 0),
    ).where(Slot.doctor_id == doctor_id, Slot.date == day)
    total_slots, capacity, held = (await session.execute(slots)).one()
    tokens = await token_breakdown(session, Token.doctor_id == doctor_id, Slot.date == day)
    return DoctorDayAnalytics(
        doctor_id=doctor.id,
        doctor_name=doctor.name,
        date=day,
        total_slots=total_slots,
        total_capacity=capacity,
        total_allocated=tokens.total,
        total_completed=tokens.by_status[TokenStatus.COMPLETED],
        total_cancelled=tokens.by_status[TokenStatus.CANCELLED],
        total_no_shows=tokens.by_status[TokenStatus.NO_SHOW],
        emergencies=tokens.emergencies,
        average_utilization=utilisation(held, capacity),
        tokens_by_status=tokens.by_status,
        tokens_by_source=tokens.by_source,
    )
