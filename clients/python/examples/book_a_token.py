"""Book a token as a channel app would: register a doctor and two slots (an admin key),
book the small slot full, handle the 409 `slot_full` by booking its first alternative, and
repeat any write that answered 202 with the same Idempotency-Key until it is decided.

    uv run python clients/python/examples/book_a_token.py --key "$OPD_ADMIN_KEY"

Prints one line per step; exits 0 once the patient is in a queue.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
import uuid

from opd_client import Booked, OpdClient, Pending, Problem, SlotFull


def pending(answer: Pending) -> None:
    print(f"202 pending: repeating with Idempotency-Key {answer.request_id}", flush=True)


def book(opd: OpdClient, patient: str, doctor_id: int, slot_id: int) -> Booked:
    """One booking, written out: a key of our own, and the same key again after each 202."""
    key = f"example-{uuid.uuid4().hex}"
    answer = opd.book(patient, doctor_id, slot_id, "online", idempotency_key=key)
    while isinstance(answer, Pending):
        pending(answer)
        time.sleep(1)
        answer = opd.book(patient, doctor_id, slot_id, "online", idempotency_key=key)
    print(f"201 booked {patient}: {answer.token_number} in slot {answer.slot_id}", flush=True)
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default="http://localhost:8000")
    parser.add_argument("--queue-view", default="http://localhost:8001")
    parser.add_argument("--key", default=os.environ.get("OPD_ADMIN_KEY"), required=False)
    args = parser.parse_args()
    if not args.key:
        parser.error("an admin key: --key or OPD_ADMIN_KEY")
    day = dt.date.today() + dt.timedelta(days=1)

    with OpdClient(args.gateway, args.queue_view, args.key) as opd:
        doctor = opd.until_decided(opd.register_doctor, "Dr. Example", "General Medicine",
                                   "12", on_pending=pending)
        small = opd.until_decided(opd.open_slot, doctor.id, day, dt.time(9), dt.time(9, 30), 1,
                                  on_pending=pending)
        roomy = opd.until_decided(opd.open_slot, doctor.id, day, dt.time(9, 30), dt.time(10),
                                  5, on_pending=pending)
        print(f"doctor {doctor.id}, slots {small.id} (1 place) and {roomy.id}", flush=True)

        book(opd, "Asha Rao", doctor.id, small.id)
        try:
            token = book(opd, "Ravi Kumar", doctor.id, small.id)
        except SlotFull as full:
            choice = full.alternatives[0]
            print(f"409 {full.code}: {full.body.detail}; alternatives "
                  f"{[s.id for s in full.alternatives]}", flush=True)
            token = book(opd, "Ravi Kumar", doctor.id, choice.id)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # queue-view follows within a second or so
            try:
                queue = list(opd.queue(token.slot_id))
            except Problem as problem:
                if problem.status != 404:  # 404: queue-view has not seen the slot yet
                    raise
                queue = []
            place = next((e for e in queue if e.id == token.id), None)
            if place is not None:
                print(f"in the queue of slot {token.slot_id}: position {place.position}, "
                      f"about {place.estimated_wait_minutes} min", flush=True)
                return
            time.sleep(0.2)
        raise SystemExit(f"token {token.id} did not appear in queue-view within 30 s")


if __name__ == "__main__":
    main()
