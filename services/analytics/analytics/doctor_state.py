"""Doctors of one event, and the specialization their tokens are counted under.

A token row carries its doctor's specialization, so waits per specialization have a roll-up
of their own. Events may come in any order: tokens that arrived before their doctor get the
specialization when the doctor does, and a doctor whose specialization changes takes their
tokens along; either way the roll-ups move by the tokens' deltas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollup_store import load, upsert_rows
from analytics.rollups import Delta, delta, token_contributions
from analytics.tables import Doctor, Token
from opd_shared.contracts import DoctorRecord

__all__ = ["project_doctor", "specializations"]

DOCTORS, TOKENS = Doctor.__table__, Token.__table__


async def specializations(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(DOCTORS.c.id, DOCTORS.c.specialization).where(DOCTORS.c.id.in_(wanted)))
    return {doctor_id: specialization for doctor_id, specialization in rows}


async def project_doctor(
    session: AsyncSession, doctor: DoctorRecord, version: int, zone: ZoneInfo
) -> Delta:
    """A newer snapshot replaces the row (the caller holds the doctor's lock)."""
    old = (await load(session, DOCTORS, [doctor.id])).get(doctor.id)
    if old is not None and old["version"] >= version:
        return Counter()
    row = {c.name: getattr(doctor, c.name) for c in DOCTORS.columns if c.name != "version"}
    await upsert_rows(session, DOCTORS, [{**row, "version": version}])
    if old is not None and old["specialization"] == doctor.specialization:
        return Counter()
    return await _rekey_tokens(session, doctor.id, doctor.specialization, zone)


async def _rekey_tokens(
    session: AsyncSession, doctor_id: int, specialization: str, zone: ZoneInfo
) -> Delta:
    stale = (TOKENS.c.doctor_id == doctor_id,
             TOKENS.c.specialization.is_distinct_from(specialization))
    olds = (await session.execute(select(TOKENS).where(*stale))).mappings().all()
    changes: Delta = Counter()
    if olds:
        await session.execute(update(TOKENS).where(*stale).values(specialization=specialization))
    for old in olds:
        changes.update(delta(token_contributions({**old, "specialization": specialization}, zone),
                             token_contributions(old, zone)))
    return changes
