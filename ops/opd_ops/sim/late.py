"""The doctor who runs late. The allocator moves only TODAY's tokens when a doctor is late
(those that no longer fit today's remaining time go to the doctor's next days' slots), so
this scene is played on today's date: the first doctor gets two half-hour slots starting a
few minutes from now on the hospital's clock, they fill up, the doctor announces the
delay, and whoever no longer fits moves into that doctor's slots of the simulated day
(tomorrow). The few who stay are seen in a short session before the clinic opens, by
the same doctor actor as the day's sessions: the allocator's call-next completes whatever
that doctor has in consultation, so one doctor never runs two sessions at once.
"""

from __future__ import annotations

import datetime as dt

from opd_ops.sim.client import Api
from opd_ops.sim.clock import hospital_now
from opd_ops.sim.desk import Day, SetupError
from opd_ops.sim.ledger import Ledger, Window
from opd_ops.sim.patients import attend
from opd_ops.sim.plan import Visit
from opd_ops.sim.scenario import SOURCES, Scenario

__all__ = ["late_doctor", "open_today"]

SCENE = 10_000  # visit numbers of this scene's patients, apart from the day's


def _today_times(now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]] | None:
    """Two half-hour slots from three minutes from now (time to book them before they
    start); None if they would cross midnight."""
    first = now.replace(second=0, microsecond=0, tzinfo=None) + dt.timedelta(minutes=3)
    times = [(first + dt.timedelta(minutes=30 * i), first + dt.timedelta(minutes=30 * (i + 1)))
             for i in range(2)]
    return times if times[-1][1].date() == first.date() else None


async def open_today(api: Api, ledger: Ledger, s: Scenario, doctor_id: int) -> list[Window]:
    """Today's two slots, shown on the simulated clock just before the clinic opens."""
    if s.late_minutes <= 0:
        ledger.notes.append("no doctor runs late (--late-minutes 0)")
        return []
    times = _today_times(hospital_now(s.timezone))
    if times is None:
        ledger.notes.append("late-doctor scene skipped: no time left today in the hospital's "
                            "zone for a session (the allocator delays only today's tokens)")
        return []
    windows = []
    for i, (start, end) in enumerate(times):
        answer = await api.post("/api/v1/slots", {
            "doctor_id": doctor_id, "date": start.date().isoformat(),
            "start_time": f"{start:%H:%M}", "end_time": f"{end:%H:%M}",
            "max_capacity": s.late_capacity})
        if answer.status_code != 201:
            raise SetupError(f"today's slot refused: {answer.status_code} {answer.text}")
        sim_start = s.day_starts + 50 + 30 * i
        window = Window(answer.json()["id"], doctor_id, start.date(), sim_start, sim_start + 30,
                        s.late_capacity, start, end)
        ledger.windows[window.slot_id] = window
        windows.append(window)
    return windows


async def _fill(day: Day, windows: list[Window]) -> list[int]:
    """The morning's patients book today's session, one a minute from the day's start."""
    s, rng, booked = day.scenario, day.rng, []
    for i in range(s.late_capacity * len(windows)):
        await day.clock.sleep_until(s.day_starts + i)
        window = windows[i // s.late_capacity]
        source = rng.choices(SOURCES, weights=[s.mix[x] for x in SOURCES])[0]
        answer = await day.api.post("/api/v1/tokens", {
            "patient_name": f"Patient {SCENE + i}", "doctor_id": window.doctor_id,
            "slot_id": window.slot_id, "source": source})
        token = day.ledger.note(answer)
        if token is None:
            day.ledger.happened[f"late session booking answered {answer.status_code}"] += 1
        else:
            booked.append(token["id"])
    return booked


def _visit(day: Day, token_id: int, moved: bool) -> Visit:
    token, rng = day.ledger.tokens[token_id], day.rng
    stays_away = not moved and rng.random() < day.scenario.no_show_rate
    return Visit(SCENE, token["source"], int(day.clock.now), 0,
                 "no_show" if stays_away and token["source"] != "walk_in" else "attend",
                 rng.randint(5, 40))


async def late_doctor(day: Day, doctor_id: int, windows: list[Window]) -> None:
    booked = await _fill(day, windows)
    await day.clock.sleep_until(day.scenario.day_starts + 30)
    answer = await day.api.post(f"/api/v1/doctors/{doctor_id}/delay", {
        "minutes": day.scenario.late_minutes, "reason": "stuck in traffic"})
    if answer.status_code != 200:
        day.ledger.happened[f"delay answered {answer.status_code}"] += 1
    moved = {m["token_id"]: m["to_slot_id"] for m in
             (answer.json()["moved"] if answer.status_code == 200 else [])}
    for token_id, to_slot in moved.items():
        day.ledger.move(token_id, to_slot, "doctor_delay")
    for token_id in booked:
        day.clock.spawn(attend(day, token_id, _visit(day, token_id, token_id in moved)))
