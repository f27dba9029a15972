"""Doctors: one session per slot, in order. At the slot's start they call the next patient
(`call-next?slot_id=`, the slot named because the allocator's 'today' is not the simulated
day), consult for about the slot's time per place, and complete the consultation.

They call only when nobody in the slot is still just 'allocated': call-next would check such
a patient in, and that patient may be about to be marked no-show. After half an hour past
the slot's end they call regardless, so a patient the ledger misjudged cannot stop the day.
"""

from __future__ import annotations

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
        absent = any(t["status"] == "allocated" for t in waiting)
        if waiting and (not absent or clock.now > window.end + 30):
            await _consult(day, doctor_id, window)
        elif not waiting and clock.now >= window.end:
            return
        else:
            await clock.sleep(1)


async def _consult(day: Day, doctor_id: int, window: Window) -> None:
    answer = await day.api.post(f"/api/v1/doctors/{doctor_id}/call-next",
                                params={"slot_id": window.slot_id})
    token = day.ledger.note(answer)
    if token is None:
        day.ledger.happened[f"call-next answered {answer.status_code}"] += 1
        await _recheck(day, window)
        await day.clock.sleep(1)
        return
    per_place = (window.end - window.start) / window.capacity
    await day.clock.sleep(max(1, round(per_place * day.rng.uniform(0.5, 1.3))))
    await act(day, token["id"], "complete")


async def _recheck(day: Day, window: Window) -> None:
    """Nobody was waiting after all: ask queue-view where the ledger's waiting tokens are."""
    for token in day.ledger.waiting(window.slot_id):
        seen = await day.api.queue_view.get(f"/api/v1/tokens/{token['id']}")
        if seen.status_code == 200:
            day.ledger.correct(seen.json())
            day.ledger.happened["ledger corrected from queue-view"] += 1
