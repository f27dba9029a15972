"""What a booking's contracts cost once the schedule has decided it: its event built and
written as the outbox's JSON, its reply built and written as the inbox's JSON (the pydantic
part of `service_layer.decide`), without a database or a broker.

`uv run python services/allocator/bench/event_cost.py [--slots 4 --capacity 60 --runs 7]`

A doctor's day is booked first over ORM-mapped records (as book_cost.py books it), keeping
each booking's token and changes; then each booking's reply and events are made by
`decide`'s own steps, with the outbox and inbox of the adapters. Prints the process's CPU a
booking, the median of `--runs` runs (the collector settled as in the service).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from types import SimpleNamespace
from typing import Any

from book_cost import SOURCES, ZONE, day

from allocator.adapters.batch_io import Writes
from allocator.adapters.messages import Inbox, Outbox
from allocator.adapters.orm import map_domain
from allocator.domain.change import Booking
from allocator.service_layer.decide import NO_ALTERNATIVES, _events
from allocator.service_layer.decided import Decided
from allocator.service_layer.token_handlers import _record
from opd_contracts import BookToken, CommandEnvelope, Reply
from opd_shared.heap import settle_heap


def decided_day(slots: int, capacity: int) -> list[tuple[CommandEnvelope, Decided, Any]]:
    schedule = day(slots, capacity)
    now = dt.datetime(2026, 12, 7, 8, tzinfo=ZONE)
    out = []
    for n in range(slots * capacity):
        booking = Booking(token_id=1000 + n, slot_id=n % slots, patient_name="P",
                          patient_phone=f"+91 98450 {n:05d}", source=SOURCES[n % slots % 4])
        token = schedule.book(booking, now)
        envelope = CommandEnvelope(
            command_id=uuid.uuid4(), issued_at=now, fingerprint=f"f{n}", actor="key 1 (desk)",
            command=BookToken(doctor_id=1, slot_id=booking.slot_id + 1, patient_name="P",
                              patient_phone=booking.patient_phone, source=booking.source))
        out.append((envelope, Decided.on({}, schedule), token))
        schedule.changes = []
    return out


def run(decisions: list[tuple[CommandEnvelope, Decided, Any]]) -> float:
    now = dt.datetime(2026, 12, 7, 8, tzinfo=ZONE)
    seq = iter(range(1, 1_000_000))
    writes = Writes()
    uow: Any = SimpleNamespace(
        schedules=SimpleNamespace(next_event_seqs=lambda _d, n: [next(seq) for _ in range(n)]),
        outbox=Outbox(writes), inbox=Inbox(writes))
    started = time.process_time()
    for envelope, decided, token in decisions:
        result = {**_record(token), "moved": []}
        for doctor, changes in decided.changes:
            uow.outbox.add(_events(uow, envelope, doctor, changes, now), 0)
        uow.inbox.record(envelope.fingerprint,
                         Reply(command_id=envelope.command_id, ok=True, result=result,
                               alternatives=NO_ALTERNATIVES), now)
    return (time.process_time() - started) / len(decisions) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--capacity", type=int, default=60)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    map_domain()
    decisions = decided_day(args.slots, args.capacity)
    settle_heap(50_000)  # as the service runs (opd_shared.heap): no collection mid-run
    runs = [run(decisions) for _ in range(args.runs)]
    print(f"event and reply of a booking: {statistics.median(runs):.1f} us "
          f"(runs {', '.join(f'{r:.1f}' for r in runs)})")


if __name__ == "__main__":
    main()
