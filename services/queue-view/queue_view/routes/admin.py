"""Operators' view of the projection: is any doctor's history incomplete?"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from queue_view.deps import ADMIN, SessionDep
from queue_view.errors import ADMIN_ERRORS
from queue_view.progress import gaps, totals

__all__ = ["router"]

# Admin only: operators' figures, and nothing a kiosk or a channel app needs.
router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[ADMIN], responses=ADMIN_ERRORS)


class GapOut(BaseModel):
    doctor_id: int
    max_seq: int = Field(description="Highest per-doctor seq applied")
    applied_count: int = Field(description="Distinct events of the doctor applied")
    missing: int = Field(description="max_seq - applied_count")
    missing_seqs: list[int] = Field(description="The first missing seqs (up to 20)")


class ProgressOut(BaseModel):
    doctors: int
    events_applied: int
    gaps: list[GapOut]


@router.get("/progress", summary="Events applied per doctor, and which are missing")
async def get_progress(session: SessionDep) -> ProgressOut:
    """Doctors whose applied count is below their highest seq have a missing event. Their
    queues stay right except for records whose latest event is the missing one; recover
    with `python -m queue_view.rebuild --fill-gaps` (replays history, empties nothing)."""
    found = await gaps(session)
    overall = await totals(session)
    return ProgressOut(doctors=overall.doctors, events_applied=overall.applied, gaps=[
        GapOut(doctor_id=g.doctor_id, max_seq=g.max_seq, applied_count=g.applied_count,
               missing=g.missing, missing_seqs=g.missing_seqs) for g in found])
