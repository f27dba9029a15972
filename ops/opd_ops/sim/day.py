"""One day, start to end: open the clinic (doctors and tomorrow's slots), play the plan on
the simulated clock with a progress bar, and hand back the ledger of what was observed."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from opd_ops.sim.client import Api
from opd_ops.sim.clock import SimClock, hhmm
from opd_ops.sim.desk import Day, SetupError
from opd_ops.sim.doctors import doctor
from opd_ops.sim.late import late_doctor, open_today
from opd_ops.sim.ledger import Ledger, Window
from opd_ops.sim.patients import emergency, patient
from opd_ops.sim.plan import plan_day
from opd_ops.sim.scenario import SPECIALIZATIONS, SURNAMES, Scenario

__all__ = ["run_day"]


async def _created(api: Api, path: str, body: dict) -> dict:
    answer = await api.post(path, body)
    if answer.status_code != 201:
        raise SetupError(f"POST {path} answered {answer.status_code}: {answer.text}")
    return answer.json()


async def _open_doctor(api: Api, ledger: Ledger, s: Scenario, i: int) -> int:
    """A doctor and their slots for the simulated day (tomorrow)."""
    record = await _created(api, "/api/v1/doctors", {
        "name": f"Dr. {SURNAMES[i % len(SURNAMES)]} {i + 1}", "room": str(101 + i),
        "specialization": SPECIALIZATIONS[i % s.specializations]})
    ledger.doctors[record["id"]] = record
    for start, end in s.slot_times():
        slot = await _created(api, "/api/v1/slots", {
            "doctor_id": record["id"], "date": ledger.day.isoformat(), "start_time": hhmm(start),
            "end_time": hhmm(end), "max_capacity": s.capacity})
        at = dt.datetime.combine(ledger.day, dt.time())
        ledger.windows[slot["id"]] = Window(
            slot["id"], record["id"], ledger.day, start, end, s.capacity,
            at + dt.timedelta(minutes=start), at + dt.timedelta(minutes=end))
    return record["id"]


def _status(ledger: Ledger, moment: float) -> str:
    tokens = ledger.tokens.values()
    seen = sum(t["status"] == "completed" for t in tokens)
    waiting = sum(t["status"] in ("allocated", "checked_in") for t in tokens)
    return f"{hhmm(moment)}  tokens {len(tokens)} · seen {seen} · waiting {waiting}"


async def run_day(api: Api, s: Scenario, tomorrow: dt.date) -> tuple[Ledger, list[int]]:
    ledger = Ledger(day=tomorrow)
    doctor_ids = list(await asyncio.gather(*(_open_doctor(api, ledger, s, i)
                                             for i in range(s.doctors))))
    late = await open_today(api, ledger, s, doctor_ids[0])
    clock = SimClock(s.day_starts, s.day_ends, s.day_in_seconds)
    ledger.clock = lambda: clock.now
    day = Day(api, ledger, clock, s, random.Random(s.seed + 1), doctor_ids)
    visits, emergencies = plan_day(s)
    for visit in visits:
        clock.spawn(patient(day, visit))
    for case in emergencies:
        clock.spawn(emergency(day, case))
    for doctor_id in doctor_ids:
        windows = [w for w in ledger.slots_of(doctor_id) if w.date == ledger.day]
        clock.spawn(doctor(day, doctor_id, windows))
    if late:
        clock.spawn(late_doctor(day, doctor_ids[0], late))
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        bar = progress.add_task(_status(ledger, clock.now), total=s.day_ends - s.day_starts)
        await clock.run(lambda m: progress.update(
            bar, completed=m - s.day_starts, description=_status(ledger, m)))
    return ledger, doctor_ids
