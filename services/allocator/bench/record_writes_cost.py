"""What the ORM's session costs a round's bookings, without a database: `Schedule.book` over
mapped records the session holds, then adding the round's new tokens to the session
(repository.write: a slot's tokens add none, adapters/orm.py), finding the round's changed
records (adapters/record_writes.py: the rows the write statement gets) and telling the
session they are as written.

`uv run python services/allocator/bench/record_writes_cost.py [--doctors 28 --rounds 60]`

`--doctors` schedules (4 slots of 60 places, mapped records held by a session as persistent,
as a lane's session holds them) each get one booking a round, as decide_bench's concurrent
part's rounds of ~28 do; prints the process's CPU per booking of `book` and of adding the
new tokens, `changed_records` and `settle`, the medians of `--runs` runs. Compare `book` with
book_cost.py's (no session; `--plain`: no mapping).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from allocator.adapters.orm import map_domain
from allocator.adapters.record_writes import changed_records
from allocator.adapters.repository import join_new_tokens
from allocator.domain.change import Booking
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.model import Doctor, Slot
from allocator.domain.policy import Policy
from allocator.domain.schedule import Schedule
from opd_contracts.vocabulary import Source
from opd_shared.heap import settle_heap

ZONE = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 8, tzinfo=ZONE)


def schedule(doctor_id: int) -> Schedule:
    return Schedule(
        doctor=Doctor(id=doctor_id, name="Dr A", specialization="general", room=None,
                      created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        slots={doctor_id * 10 + n: Slot(id=doctor_id * 10 + n, doctor_id=doctor_id, date=DAY,
                                        start_time=dt.time(9 + 2 * n),
                                        end_time=dt.time(10 + 2 * n), max_capacity=60)
               for n in range(4)},
        policy=Policy(fairness=FairnessPolicy(max_overtakes=10), bookings_per_phone_per_day=5))


def run(doctors: int, rounds: int) -> tuple[float, float]:
    session = AsyncSession()
    schedules = [schedule(d) for d in range(1, doctors + 1)]
    for s in schedules:
        session.add_all(s.slots.values())
    changed_records(session).settle(session)  # as if written: persistent from here on
    booking, spent, ids = 0.0, 0.0, iter(range(10**6, 10**7))
    for n in range(rounds):
        started = time.process_time()
        for s in schedules:
            slot_id = s.doctor.id * 10 + n % 4
            s.book(Booking(token_id=next(ids), slot_id=slot_id, patient_name="P",
                           patient_phone=None, source=Source.ONLINE), NOW)
            s.changes = []
        booking += time.process_time() - started
        started = time.process_time()
        for s in schedules:
            join_new_tokens(session, s.take_new_tokens())
        changed = changed_records(session)
        changed.settle(session)
        spent += time.process_time() - started
        assert len(changed.states) == 2 * doctors, len(changed.states)
    return booking / (rounds * doctors) * 1e6, spent / (rounds * doctors) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doctors", type=int, default=28)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    map_domain()
    settle_heap(50_000)  # as the service runs (opd_shared.heap): no collection mid-run
    runs = [run(args.doctors, args.rounds) for _ in range(args.runs)]
    for name, took in (("book", [r[0] for r in runs]),
                       ("new tokens added, changed_records and settle", [r[1] for r in runs])):
        print(f"{name}: {statistics.median(took):.1f} us a booking"
              f" (runs {', '.join(f'{t:.1f}' for t in took)})")


if __name__ == "__main__":
    main()
