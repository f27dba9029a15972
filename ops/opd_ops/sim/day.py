"""One day, start to end: open the clinic (doctors and tomorrow's slots), play the plan on
the simulated clock with a progress bar, and hand back the ledger of what was observed."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time

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


def _cast(day: Day, late: list[Window]) -> None:
    """Every actor of the day onto the clock: patients, emergencies, doctors, the late one."""
    visits, emergencies = plan_day(day.scenario)
    for visit in visits:
        day.clock.spawn(patient(day, visit))
    for case in emergencies:
        day.clock.spawn(emergency(day, case))
    for doctor_id in day.doctor_ids:  # the late doctor's today session comes first, in order
        day.clock.spawn(doctor(day, doctor_id, day.ledger.slots_of(doctor_id)))
    if late:
        day.clock.spawn(late_doctor(day, day.doctor_ids[0], late))


async def run_day(api: Api, s: Scenario, tomorrow: dt.date) -> tuple[Ledger, list[int]]:
    ledger = Ledger(day=tomorrow, zone=s.timezone)
    doctor_ids = list(await asyncio.gather(*(_open_doctor(api, ledger, s, i)
                                             for i in range(s.doctors))))
    late = await open_today(api, ledger, s, doctor_ids[0])
    clock = SimClock(s.day_starts, s.day_ends, s.day_in_seconds)
    ledger.clock = lambda: clock.now
    _cast(Day(api, ledger, clock, s, random.Random(s.seed + 1), doctor_ids), late)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    began = time.monotonic()
    with Progress(*columns) as progress:
        bar = progress.add_task(_status(ledger, clock.now), total=s.day_ends - s.day_starts)
        await clock.run(lambda m: progress.update(
            bar, completed=m - s.day_starts, description=_status(ledger, m)))
    pace = f"{s.day_in_seconds:g} s" if s.day_in_seconds else "as fast as possible"
    ledger.notes.append(f"the day took {time.monotonic() - began:.0f} s of wall-clock time "
                        f"(asked: {pace}; the clock never runs far ahead of the answers)")
    return ledger, doctor_ids
