"""What the phone quota costs a booking: `Policy.check_phone_quota` over one doctor's
tokens of the day, each from another phone (the common case: the quota is not reached).

`uv run python services/allocator/bench/quota_cost.py [--tokens 190] [--calls 2000]`

Every booking of a doctor runs it over every token the doctor has from today on, so its
cost grows with the day: 190 tokens is a busy doctor's day, and what the system bench's
doctors hold at the end of a minute at 1,000 bookings/s offered. Prints the process's CPU
per check, the median of five runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from allocator.domain.policy import Policy

ZONE = ZoneInfo("Asia/Kolkata")


def check_us(tokens: int, calls: int) -> float:
    now = dt.datetime(2026, 12, 7, 10, tzinfo=ZONE)
    first = dt.datetime(2026, 12, 7, 3, 30, tzinfo=dt.UTC)  # booked today, read back in UTC
    day: list[Any] = [SimpleNamespace(allocated_at=first + dt.timedelta(seconds=n),
                                      patient_phone=f"+91 98450 {n:05d}")
                      for n in range(tokens)]
    slots: list[Any] = [SimpleNamespace(tokens=day)]
    policy = Policy(bookings_per_phone_per_day=5)
    started = time.process_time()
    for _ in range(calls):
        policy.check_phone_quota(slots, "+91 98450 99999", now)
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=190)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    runs = [check_us(args.tokens, args.calls) for _ in range(5)]
    print(f"phone quota over {args.tokens} tokens: {statistics.median(runs):.1f} us a check "
          f"(runs {', '.join(f'{r:.1f}' for r in runs)})")


if __name__ == "__main__":
    main()
