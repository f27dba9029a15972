"""What the notifier's CPU spends applying one allocator event (issue #13: at 250
bookings/s a profile showed ~0.75 ms per booking, a third of it deciding `near`).

`uv run python services/notifier/bench/apply_cost.py [--doctors 200 --filled 250 --batches 300]`

Creates a fresh database (`bench_<hex>_notifier` on OPD_POSTGRES_URL, migrated as the
service migrates it) and drops it afterwards. Each of `--doctors` doctors gets one slot of
500 places (09:00-17:00, so about a minute a place) already holding `--filled` tokens, the
first with the doctor (seeded, not measured). Then `--batches` batches of 20-50 events, as
the relay hands them over, are applied through `notifier.projection.apply_events` in one
transaction each, as the consumer does: mostly single-token bookings over random doctors,
and now and then a doctor calling the next patient (the queue moves, so `near` tells
someone). The clock stands at 10:00 on the slots' day, inside every slot's window.

It prints the CPU this process spent per event (time.process_time: Python, SQLAlchemy
and asyncpg; PostgreSQL's own CPU is not in it) and the wall time per event, plus how many
notifications were decided, so a faster version that decides less shows itself.
`--profile cumtime` (or tottime) also prints what cost most inside `apply_events`
(cProfile, which slows it: the figures are then not comparable).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import pstats
import random
import time
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.bootstrap import MIGRATIONS_DIR
from notifier.models import Notification
from notifier.projection import Notifying, apply_events
from notifier.settings import NotifierSettings
from opd_contracts import DoctorRecord, EventEnvelope, EventType, TokenRecord
from opd_contracts.vocabulary import Source, TokenStatus, queue_key
from opd_shared.database import drop_database, migrate, new_engine
from opd_shared.testing import DoctorEvents

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2030, 1, 15)
NOW = dt.datetime.combine(DAY, dt.time(10), IST)
CAPACITY = 500
CALL_SHARE = 0.05  # of the measured events: a doctor calls the next patient
SOURCES = (Source.ONLINE, Source.WALK_IN, Source.WALK_IN, Source.FOLLOW_UP)


class Ward(DoctorEvents):
    """One doctor's slot as the allocator would tell it: its live tokens in queue order."""

    def __init__(self, doctor_id: int, rng: random.Random) -> None:
        super().__init__(doctor_id, NOW - dt.timedelta(hours=2))
        self.rng, self.count = rng, 0
        self.slot = self.slot_record(doctor_id * 10, date=DAY, start_time=dt.time(9),
                                     end_time=dt.time(17), max_capacity=CAPACITY)
        self.live: list[TokenRecord] = []

    def book(self) -> TokenRecord:
        self.count += 1
        source = self.rng.choice(SOURCES)
        token = self.token_record(self.slot, source, self.count, **{
            "id": self.doctor_id * 1000 + self.count, "channel": "web-app",
            "patient_phone": f"98450 {self.count:05d}", "ticket": uuid.uuid4().hex})
        self.live.append(token)
        self.slot = self.slot.model_copy(update={"current_count": self.count})
        return token

    def call_next(self) -> list[TokenRecord]:
        """The one consulting is done and the first waiting goes in."""
        self.live.sort(key=lambda t: queue_key(t.status, t.is_emergency, t.priority_score,
                                               t.sequence_number))
        changed = []
        if self.live and self.live[0].status is TokenStatus.CONSULTING:
            changed.append(self.live.pop(0).model_copy(
                update={"status": TokenStatus.COMPLETED}))
        if self.live:
            self.live[0] = self.live[0].model_copy(update={"status": TokenStatus.CONSULTING})
            changed.append(self.live[0])
        return changed

    def seeded(self, filled: int) -> EventEnvelope:
        booked = [self.book() for _ in range(filled)]
        booked += self.call_next()[-1:]
        return self.event(EventType.TOKEN_ALLOCATED, doctor=self.doctor_record(),
                          slots=[self.slot], tokens=booked)

    def doctor_record(self) -> DoctorRecord:
        return DoctorRecord(id=self.doctor_id, name=f"Dr {self.doctor_id}",
                            specialization="ENT", room="12", created_at=self.now)

    def next_event(self) -> EventEnvelope:
        if self.rng.random() < CALL_SHARE:
            return self.event(EventType.TOKEN_STATUS_CHANGED, slots=[self.slot],
                              tokens=self.call_next())
        token = self.book()
        return self.event(EventType.TOKEN_ALLOCATED, slots=[self.slot], tokens=[token])


def plan(doctors: int, filled: int, batches: int, seed: int
         ) -> tuple[list[list[EventEnvelope]], list[list[EventEnvelope]]]:
    """The seeding batches and the measured ones, made before any clock starts."""
    rng = random.Random(seed)
    wards = [Ward(1000 + n, rng) for n in range(doctors)]
    seeding = [w.seeded(filled) for w in wards]
    measured = []
    for _ in range(batches):
        open_wards = [w for w in wards if w.count < CAPACITY]
        measured.append([rng.choice(open_wards).next_event()
                         for _ in range(rng.randint(20, 50))])
    return [seeding[i:i + 20] for i in range(0, len(seeding), 20)], measured


async def apply_all(sessions: async_sessionmaker[AsyncSession], notifying: Notifying,
                    batches: list[list[EventEnvelope]],
                    profiler: cProfile.Profile | None = None) -> None:
    for batch in batches:
        async with sessions.begin() as session:
            if profiler:
                profiler.enable()
            await apply_events(session, batch, notifying, NOW)
            if profiler:
                profiler.disable()


async def main(doctors: int, filled: int, batches: int, seed: int, profile: str | None
               ) -> None:
    settings = NotifierSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}", log_level="WARNING",
                                timezone="Asia/Kolkata", notify_ahead=3, notify_minutes=15)
    notifying = Notifying(settings, frozenset({"web-app"}), sms=True)
    seeding, measured = plan(doctors, filled, batches, seed)
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = new_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        await apply_all(sessions, notifying, seeding)
        async with sessions() as session:
            told_before = await session.scalar(select(func.count()).select_from(Notification))
        events = sum(len(b) for b in measured)
        start, cpu = time.perf_counter(), time.process_time()
        profiler = cProfile.Profile() if profile else None
        await apply_all(sessions, notifying, measured, profiler)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        async with sessions() as session:
            told = await session.scalar(select(func.count()).select_from(Notification))
        print(f"{doctors} doctors, {filled} tokens seeded in each slot of {CAPACITY};"
              f" {events} events in {batches} batches of 20-50:")
        print(f"  {cpu / events * 1e6:.0f} µs CPU per event (this process),"
              f" {took / events * 1e6:.0f} µs wall per event;"
              f" {(told or 0) - (told_before or 0)} notifications decided")
        if profiler:
            pstats.Stats(profiler).sort_stats(profile).print_stats(30)
    finally:
        await engine.dispose()
        await drop_database(settings.database_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doctors", type=int, default=200)
    parser.add_argument("--filled", type=int, default=250, help="tokens per slot before")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--profile", choices=["tottime", "cumtime"],
                        help="print what cost most in apply_events (cProfile), in this order")
    args = parser.parse_args()
    asyncio.run(main(args.doctors, args.filled, args.batches, args.seed, args.profile))
