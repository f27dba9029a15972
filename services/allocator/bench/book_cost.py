"""What `Schedule.book` costs a booking, the domain alone (no database, no broker): a
doctor's day of `--slots` slots of `--capacity` places filled booking by booking, under the
service's default policy (fairness after 10 overtakes, 5 bookings a phone a day), each
booking from another phone (the quota is never reached).

`uv run python services/allocator/bench/book_cost.py [--slots 4 --capacity 60 --runs 5]
[--mixed] [--plain] [--profile]`

The domain classes are mapped by the ORM first, as in the service (its records are
instrumented: each attribute read and set is a Python call); `--plain` leaves them plain.

One source a slot, as in the system bench (nobody overtakes anybody), or `--mixed`: each
slot booked from the four sources in turn, so newcomers overtake the waiting and fairness
caps some. Prints the process's CPU per booking over the whole day, the median of `--runs`
runs; `--profile` prints cProfile's dearest functions of one run instead.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import time
from zoneinfo import ZoneInfo

from allocator.adapters.orm import map_domain
from allocator.domain.change import Booking
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.model import Doctor, Slot
from allocator.domain.policy import Policy
from allocator.domain.schedule import Schedule
from opd_contracts.vocabulary import Source

ZONE = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 12, 7)
SOURCES = [Source.ONLINE, Source.WALK_IN, Source.FOLLOW_UP, Source.PRIORITY]


def day(slots: int, capacity: int) -> Schedule:
    return Schedule(
        doctor=Doctor(id=1, name="Dr A", specialization="general", room=None,
                      created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        slots={n: Slot(id=n, doctor_id=1, date=DAY, start_time=dt.time(9 + 2 * n),
                       end_time=dt.time(10 + 2 * n), max_capacity=capacity)
               for n in range(slots)},
        policy=Policy(fairness=FairnessPolicy(max_overtakes=10), bookings_per_phone_per_day=5))


def run(slots: int, capacity: int, mixed: bool) -> float:
    schedule = day(slots, capacity)
    now = dt.datetime(2026, 12, 7, 8, tzinfo=ZONE)
    bookings = [Booking(token_id=1000 + n, slot_id=n % slots, patient_name="P",
                        patient_phone=f"+91 98450 {n:05d}",
                        source=SOURCES[(n // slots) % 4] if mixed else SOURCES[n % slots % 4])
                for n in range(slots * capacity)]
    started = time.process_time()
    for booking in bookings:
        schedule.book(booking, now)
        schedule.changes.clear()  # as the repository takes them after each command
    return (time.process_time() - started) / len(bookings) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--capacity", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mixed", action="store_true")
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not args.plain:
        map_domain()
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(run, args.slots, args.capacity, args.mixed)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return
    runs = [run(args.slots, args.capacity, args.mixed) for _ in range(args.runs)]
    kind = ("mixed, " if args.mixed else "") + ("plain" if args.plain else "mapped")
    print(f"book over {args.slots} x {args.capacity} places ({kind}): "
          f"{statistics.median(runs):.1f} us a booking "
          f"(runs {', '.join(f'{r:.1f}' for r in runs)})")


if __name__ == "__main__":
    main()
