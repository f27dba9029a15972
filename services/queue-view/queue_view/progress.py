"""Gaps: doctors some of whose events have not been applied (yet).

Each event carries the per-doctor `seq` (1, 2, 3 ... without gaps), and the projection
counts the distinct events it applied per doctor. `applied_count < max_seq` therefore
means an event of that doctor is missing, and `applied_events` tells which seqs.

Why a gap never makes a queue wrong, only late: every event carries full snapshots of
the records it changed, and each row keeps the seq of the event that last wrote it, so
every row shows the newest snapshot that arrived. A row is out of date only if the very
event that last changed it is the missing one; every other record is exactly right.
Boards flag a doctor with a gap ("updating") instead of hiding the queue, and
`python -m queue_view.rebuild --fill-gaps` asks the allocator to replay its history:
applied events are skipped by id, the missing ones are applied, nothing is emptied.
A lost *last* event cannot show as a gap (no later seq reveals it); a full rebuild, or
the next event of that doctor, brings it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from queue_view.models import DoctorProgress

__all__ = ["Gap", "Totals", "gaps", "totals"]

MISSING_SHOWN = 20

_MISSING = text("""
    SELECT s FROM generate_series(1, :max_seq) AS s
    WHERE NOT EXISTS (SELECT 1 FROM applied_events a WHERE a.doctor_id = :doctor_id
                      AND a.seq = s)
    ORDER BY s LIMIT :shown
""")


@dataclass(frozen=True)
class Gap:
    doctor_id: int
    max_seq: int
    applied_count: int
    missing_seqs: list[int]  # the first MISSING_SHOWN of them

    @property
    def missing(self) -> int:
        return self.max_seq - self.applied_count


@dataclass(frozen=True)
class Totals:
    doctors: int
    applied: int
    doctors_with_gaps: int


async def gaps(session: AsyncSession) -> list[Gap]:
    rows = (await session.scalars(
        select(DoctorProgress).where(DoctorProgress.applied_count < DoctorProgress.max_seq)
        .order_by(DoctorProgress.doctor_id)
    )).all()
    found = []
    for row in rows:
        missing = (await session.scalars(_MISSING, {
            "max_seq": row.max_seq, "doctor_id": row.doctor_id, "shown": MISSING_SHOWN})).all()
        found.append(Gap(row.doctor_id, row.max_seq, row.applied_count, list(missing)))
    return found


async def totals(session: AsyncSession) -> Totals:
    doctors, applied, gapped = (await session.execute(select(
        func.count(),
        func.coalesce(func.sum(DoctorProgress.applied_count), 0),
        func.count().filter(DoctorProgress.applied_count < DoctorProgress.max_seq),
    ))).one()
    return Totals(doctors, applied, gapped)
