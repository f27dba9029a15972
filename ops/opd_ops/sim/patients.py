"""Patients: they book when they arrive, then check in before their slot, cancel, or stay
away (the desk marks them no-show when the session starts). Emergencies come in during a
session, get in whatever the slot's count, and check in at once; a doctor calling at that
very moment may call them in first (call-next checks them in), and the desk's check-in then
answers 409 invalid_transition, counted like every other answer."""

from __future__ import annotations

from opd_ops.sim.desk import Day, act, book
from opd_ops.sim.ledger import Window
from opd_ops.sim.plan import Emergency, Visit

__all__ = ["attend", "emergency", "patient"]


async def patient(day: Day, visit: Visit) -> None:
    await day.clock.sleep_until(visit.arrives)
    token = await book(day, visit.n, day.doctor_ids[visit.doctor], visit.source)
    if token is not None:
        await attend(day, token["id"], visit)


async def attend(day: Day, token_id: int, visit: Visit) -> None:
    """From booking to the start of the session, as the visit's fate says."""
    clock = day.clock
    if visit.source == "walk_in":
        await act(day, token_id, "check-in")  # they are at the desk already
        return
    start = day.ledger.windows[day.ledger.tokens[token_id]["slot_id"]].start
    if visit.fate == "cancel":
        await clock.sleep_until(clock.now + max(start - visit.lead - clock.now, 0) // 2)
        await act(day, token_id, "cancel", reason="cannot come after all")
        return
    await clock.sleep_until(start - visit.lead)
    if visit.fate == "no_show":
        await clock.sleep_until(start)
        await act(day, token_id, "no-show")
        return
    await act(day, token_id, "check-in")


def _session_now(day: Day, doctor_id: int) -> Window | None:
    """The doctor's slot running now (with ten minutes left), else their next one."""
    now = day.clock.now
    slots = [w for w in day.ledger.slots_of(doctor_id) if w.date == day.ledger.day]
    running = [w for w in slots if w.start <= now < w.end - 10]
    later = [w for w in slots if w.start > now]
    return next(iter(running or later), None)


async def emergency(day: Day, case: Emergency) -> None:
    await day.clock.sleep_until(case.at)
    doctor_id = day.doctor_ids[case.doctor]
    window = _session_now(day, doctor_id)
    if window is None:
        return
    ledger = day.ledger
    answer = await day.api.post("/api/v1/tokens", {
        "patient_name": f"Emergency {case.n:02d}", "doctor_id": doctor_id,
        "slot_id": window.slot_id, "source": "priority", "notes": "brought in by ambulance",
    }, params={"emergency": "true"})
    token = ledger.note(answer)
    if token is None:
        ledger.happened[f"emergency answered {answer.status_code}"] += 1
        return
    for bumped in answer.json().get("moved", []):  # whom the allocator moved to make room
        ledger.move(bumped["token_id"], bumped["to_slot_id"], "emergency_bump")
    await act(day, token["id"], "check-in")
