"""A month of a large hospital, made up: doctors, slots, and each token's final snapshot,
turned into analytics rows by the projection's own functions (`token_row`, `move_kind`)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from analytics.rollups import move_kind
from analytics.state import token_row
from opd_contracts import TokenRecord
from opd_contracts.vocabulary import SOURCE_WEIGHTS, MoveKind, Source, TokenStatus

__all__ = ["Month", "make_month"]

SPECIALIZATIONS = ["Cardiology", "Orthopaedics", "Paediatrics", "General Medicine", "ENT",
                   "Dermatology", "Gynaecology", "Neurology", "Ophthalmology", "Psychiatry"]
HOURS = (9, 10, 11, 14, 15)
SOURCES = [Source.WALK_IN] * 5 + [Source.ONLINE] * 3 + [Source.FOLLOW_UP] * 2 + [Source.PRIORITY]
MOVES = [("doctor delayed 30 min", MoveKind.DELAY), ("patient request", MoveKind.REALLOCATION),
         ("moved from slot 0 to make room for an emergency", MoveKind.EMERGENCY_BUMP),
         ("transferred to a colleague (was DOC1-20260101-000001)", MoveKind.TRANSFER)]
ST = TokenStatus


@dataclass
class Month:
    doctors: list[dict[str, Any]] = field(default_factory=list)
    slots: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0  # how many events this history has (one fact each)


def _lifecycle(rng: random.Random, start: dt.datetime) -> dict[str, Any]:
    """Final status and timestamps: most seen, some missed, some cancelled, a few waiting."""
    fate = rng.random()
    if fate < 0.08:
        return {"status": ST.NO_SHOW, "closed_at": start + dt.timedelta(hours=1)}
    if fate < 0.15:
        return {"status": ST.CANCELLED, "closed_at": start - dt.timedelta(hours=2)}
    checked_in = start + dt.timedelta(minutes=rng.randint(-20, 40))
    if fate < 0.2:
        return {"status": ST.CHECKED_IN, "checked_in_at": checked_in}
    began = checked_in + dt.timedelta(minutes=rng.randint(2, 70))
    return {"status": ST.COMPLETED, "checked_in_at": checked_in, "consultation_started_at": began,
            "completed_at": began + dt.timedelta(minutes=rng.randint(4, 20))}


def _booked(rng: random.Random, source: Source, start: dt.datetime) -> dt.datetime:
    ahead = {Source.ONLINE: rng.randint(60, 5000), Source.FOLLOW_UP: rng.randint(1440, 20000),
             Source.PRIORITY: rng.randint(0, 60)}.get(source, rng.randint(5, 120))
    return start - dt.timedelta(minutes=ahead)


def _slots(month: Month, ids: Iterator[int], doctor: int, day: dt.date,
           per_slot: int) -> Iterator[dict[str, Any]]:
    for hour in HOURS:
        slot = {"id": next(ids), "doctor_id": doctor, "date": day, "start_time": dt.time(hour),
                "end_time": dt.time(hour + 1), "max_capacity": per_slot, "current_count": 0,
                "overflow_count": 0, "is_active": True, "version": 1}
        month.slots.append(slot)
        yield slot


def _token(rng: random.Random, ids: Iterator[int], slot: dict[str, Any],
           zone: ZoneInfo) -> TokenRecord:
    start = dt.datetime.combine(slot["date"], slot["start_time"], zone)
    source, number = rng.choice(SOURCES), next(ids)
    return TokenRecord(
        id=number, token_number=f"DOC{slot['doctor_id']}-{slot['date']:%Y%m%d}-{number:06d}",
        patient_name="-", doctor_id=slot["doctor_id"], slot_id=slot["id"], source=source,
        priority_score=SOURCE_WEIGHTS[source] * 10, sequence_number=1,
        is_emergency=source is Source.PRIORITY and rng.random() < 0.3,
        allocated_at=_booked(rng, source, start), **_lifecycle(rng, start))


def _move(rng: random.Random, token: TokenRecord, slot: dict[str, Any]) -> dict[str, Any]:
    draw = rng.randrange(3)  # one draw, as before transfers existed: the same month results
    reason, named = MOVES[3 if token.id % 4 == 0 else draw]
    return {"event_id": uuid.uuid4(), "token_id": token.id, "day": slot["date"],
            "doctor_id": token.doctor_id, "source": token.source.value,
            "kind": move_kind(named),
            "reason": reason, "from_slot_id": slot["id"], "to_slot_id": slot["id"],
            "minutes": rng.choice([30, 60, 1440]), "to_later_day": False}


def make_month(first: dt.date, days: int, doctors: int, per_day: int, zone: ZoneInfo,
               seed: int = 1) -> Month:
    rng, month, ids = random.Random(seed), Month(), itertools.count(1)
    per_slot = max(1, per_day // doctors // len(HOURS))
    created = dt.datetime.combine(first, dt.time(0), zone)
    for d in range(1, doctors + 1):
        month.doctors.append({"id": d, "name": f"Dr. {d:03d}", "room": None, "is_active": True,
                              "specialization": SPECIALIZATIONS[d % len(SPECIALIZATIONS)],
                              "created_at": created, "version": 1})
        month.events += 1
    for day, d in itertools.product((first + dt.timedelta(n) for n in range(days)),
                                    range(1, doctors + 1)):
        for slot in _slots(month, ids, d, day, per_slot):
            month.events += 1
            specialization = month.doctors[d - 1]["specialization"]
            for _ in range(per_slot):
                token = _token(rng, ids, slot, zone)
                month.tokens.append(token_row(token, slot["date"], 1, specialization))
                month.events += 1 + {ST.COMPLETED: 3, ST.CHECKED_IN: 1}.get(token.status, 1)
                if rng.random() < 0.02:
                    month.moves.append(_move(rng, token, slot))
                    month.events += 1
    return month
