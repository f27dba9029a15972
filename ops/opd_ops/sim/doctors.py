"""Doctors: one session per slot, in order. At the slot's start they call the next patient
(`call-next?slot_id=`, the slot named because the allocator's 'today' is not the simulated
day), consult for about the slot's time per place, and complete the consultation.

They call only when nobody in the slot is still just 'allocated' and expected to act: call-next
would check such a patient in, and they may be about to check in themselves or be marked
no-show. Those act by the slot's start, or right after booking, and the clock runs at most
LEAD minutes ahead of any answer; so a token still 'allocated' twice that long after both
is one the ledger misjudged, and it does not hold the doctor up.
"""

from __future__ import annotations

from typing import Any

import httpx

from opd_ops.sim.clock import LEAD
from opd_ops.sim.desk import Day, act
from opd_ops.sim.ledger import Window

__all__ = ["doctor", "session"]


async def doctor(day: Day, doctor_id: int, windows: list[Window]) -> None:
    for window in windows:
        await session(day, doctor_id, window)


async def session(day: Day, doctor_id: int, window: Window) -> None:
    clock = day.clock
    await clock.sleep_until(window.start)
    while clock.now < day.scenario.day_ends:
        waiting = day.ledger.waiting(window.slot_id)
        if waiting and not _expected(day, window, waiting):
            await _consult(day, doctor_id, window)
        elif not waiting and clock.now >= window.end:
            return
        else:
            await clock.sleep(1)


def _expected(day: Day, window: Window, waiting: list[dict[str, Any]]) -> bool:
    """Is someone of the slot still 'allocated' who is about to check in or be marked absent?"""
    now = day.clock.now
    for token in (t for t in waiting if t["status"] == "allocated"):
        booked = day.ledger.sim_times.get(token["id"], {}).get("allocated", now)
        if now < max(window.start, booked) + 2 * LEAD:
            return True
    return False


async def _consult(day: Day, doctor_id: int, window: Window) -> None:
    """Call, consult, complete. The consultation is timed from the call, not from its answer,
    so a slow answer does not make the doctor slower on the simulated clock."""
    called = day.clock.now
    answer = await day.api.post(f"/api/v1/doctors/{doctor_id}/call-next",
                                params={"slot_id": window.slot_id})
    token = day.ledger.note(answer)
    if token is None:
        day.ledger.happened[f"call-next answered {answer.status_code}"] += 1
        await _recheck(day, window)
        await day.clock.sleep(1)
        return
    per_place = (window.end - window.start) / window.capacity
    await day.clock.sleep_until(called + max(1, round(per_place * day.rng.uniform(0.5, 1.3))))
    await act(day, token["id"], "complete")


async def _recheck(day: Day, window: Window) -> None:
    """Nobody was waiting after all: ask queue-view where the ledger's waiting tokens are."""
    for token in day.ledger.waiting(window.slot_id):
        try:
            seen = await day.api.queue_view.get(f"/api/v1/tokens/{token['id']}")
        except httpx.HTTPError:
            return  # the next call will tell again
        if seen.status_code == 200:
            day.ledger.correct(seen.json())
            day.ledger.happened["ledger corrected from queue-view"] += 1
