"""How fast analytics applies the allocator's events: one transaction each, or many at once.

`uv run --no-sync python services/analytics/bench/apply_bench.py [--events 3000 --runs 3]`

Makes a morning's events: doctors registered and their slots opened, then the rush timed
here, bookings from every source and the patients' check-ins, consultations, cancellations
and no-shows, interleaved across doctors as the allocator publishes them. For one by one and
for each batch size, applies them to a fresh database (`bench_<hex>_analytics` on
OPD_POSTGRES_URL, dropped afterwards) and prints the rush's events per second and this
process's CPU per event (PostgreSQL's is not in it): the median of `--runs` runs each.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from analytics.database import MIGRATIONS_DIR, create_engine, create_session_factory
from analytics.projections import apply_event, apply_events
from analytics.settings import AnalyticsSettings
from opd_contracts import DoctorRecord, EventEnvelope, EventType, SlotRecord, TokenRecord
from opd_contracts.vocabulary import SOURCE_WEIGHTS, Source, TokenStatus
from opd_shared.database import drop_database, migrate

DAY = dt.date(2026, 6, 1)
SOURCES = [Source.WALK_IN] * 5 + [Source.ONLINE] * 3 + [Source.FOLLOW_UP] * 2 + [Source.PRIORITY]
SPECIALIZATIONS = ["Cardiology", "Orthopaedics", "Paediatrics", "General Medicine", "ENT"]
ST = TokenStatus
STAMPS = {ST.CHECKED_IN: "checked_in_at", ST.CONSULTING: "consultation_started_at",
          ST.COMPLETED: "completed_at", ST.CANCELLED: "closed_at", ST.NO_SHOW: "closed_at"}
NEXT = {ST.ALLOCATED: [ST.CHECKED_IN] * 8 + [ST.CANCELLED, ST.NO_SHOW],
        ST.CHECKED_IN: [ST.CONSULTING], ST.CONSULTING: [ST.COMPLETED]}


@dataclass
class Desk:
    """One doctor: their records as the allocator keeps them, and their next `seq`."""

    doctor: DoctorRecord
    slots: list[SlotRecord]
    open_tokens: dict[int, TokenRecord] = field(default_factory=dict)
    seq: int = 0

    def event(self, type: EventType, at: dt.datetime, **fields: object) -> EventEnvelope:
        self.seq += 1
        return EventEnvelope(event_id=uuid.uuid4(), type=type, doctor_id=self.doctor.id,
                             seq=self.seq, occurred_at=at, **fields)  # type: ignore[arg-type]


def morning(
    doctors: int, count: int, zone: ZoneInfo, seed: int = 1
) -> tuple[list[EventEnvelope], list[EventEnvelope]]:
    """The doctors and their slots, then `count` events of the rush."""
    rng, ids = random.Random(seed), itertools.count(1)
    opened_at = dt.datetime.combine(DAY, dt.time(7), zone)
    desks, events = [], []
    for number in range(1, doctors + 1):
        doctor = DoctorRecord(id=number, name=f"Dr. {number}", created_at=opened_at,
                              specialization=SPECIALIZATIONS[number % len(SPECIALIZATIONS)])
        slots = [SlotRecord(id=next(ids), doctor_id=number, date=DAY, start_time=dt.time(hour),
                            end_time=dt.time(hour + 1), max_capacity=30, current_count=0)
                 for hour in (9, 10, 11, 12)]
        desk = Desk(doctor, slots)
        desks.append(desk)
        events.append(desk.event(EventType.DOCTOR_REGISTERED, opened_at, doctor=doctor))
        events += [desk.event(EventType.SLOT_OPENED, opened_at, slots=[s]) for s in slots]
    rush, now = [], opened_at
    while len(rush) < count:
        now += dt.timedelta(seconds=1)
        desk = rng.choice(desks)
        if desk.open_tokens and rng.random() < 0.45:
            rush.append(_progress(desk, rng, now))
        else:
            rush.append(_book(desk, rng, now, next(ids)))
    return events, rush


def _book(desk: Desk, rng: random.Random, now: dt.datetime, token_id: int) -> EventEnvelope:
    at = rng.randrange(len(desk.slots))
    slot = desk.slots[at].model_copy(update={"current_count": desk.slots[at].current_count + 1})
    desk.slots[at] = slot
    source = rng.choice(SOURCES)
    token = TokenRecord(
        id=token_id, token_number=f"DOC{desk.doctor.id}-{DAY:%Y%m%d}-{token_id:06d}",
        patient_name="Patient", doctor_id=desk.doctor.id, slot_id=slot.id, source=source,
        status=ST.ALLOCATED, priority_score=SOURCE_WEIGHTS[source] * 10,
        sequence_number=token_id, allocated_at=now - dt.timedelta(minutes=rng.randint(0, 600)),
        is_emergency=source is Source.PRIORITY and rng.random() < 0.3)
    desk.open_tokens[token.id] = token
    return desk.event(EventType.TOKEN_ALLOCATED, now, tokens=[token], slots=[slot])


def _progress(desk: Desk, rng: random.Random, now: dt.datetime) -> EventEnvelope:
    token = desk.open_tokens.pop(rng.choice(list(desk.open_tokens)))
    status = rng.choice(NEXT[token.status])
    after = token.model_copy(update={"status": status, STAMPS[status]: now})
    if status in NEXT:
        desk.open_tokens[after.id] = after
    return desk.event(EventType.TOKEN_STATUS_CHANGED, now, tokens=[after],
                      previous_status=token.status)


async def one_run(
    setup: list[EventEnvelope], events: list[EventEnvelope], batch: int, zone: ZoneInfo
) -> tuple[float, float]:
    """Events per second and this process's CPU ms per event, on a fresh database."""
    settings = AnalyticsSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}")
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = create_session_factory(engine)
    try:
        for at in range(0, len(setup), 200):
            await apply_events(sessions, setup[at:at + 200], zone)
        started, cpu = time.perf_counter(), time.process_time()
        if batch == 1:
            for event in events:
                await apply_event(sessions, event, zone)
        else:
            for at in range(0, len(events), batch):
                await apply_events(sessions, events[at:at + batch], zone)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await engine.dispose()
        await drop_database(settings.database_url)
    return len(events) / elapsed, cpu * 1000 / len(events)


async def main(args: argparse.Namespace) -> None:
    zone = ZoneInfo(AnalyticsSettings().timezone)
    setup, events = morning(args.doctors, args.events, zone)
    print(f"{len(events):,} events of {args.doctors} doctors (after {len(setup):,} opening "
          f"their day), median of {args.runs} runs")
    print(f"{'batch':>12}{'events/s':>12}{'CPU ms/event':>14}")
    for batch in args.batches:
        runs = [await one_run(setup, events, batch, zone) for _ in range(args.runs)]
        label = "one by one" if batch == 1 else str(batch)
        print(f"{label:>12}{statistics.median(r[0] for r in runs):>12,.0f}"
              f"{statistics.median(r[1] for r in runs):>14.2f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--doctors", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",")],
                        default=[1, 50, 100, 200], help="batch sizes; 1 is one by one")
    asyncio.run(main(parser.parse_args()))
