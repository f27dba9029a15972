"""What a simulated day looks like: every knob, with defaults for a believable OPD."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field

__all__ = ["SOURCES", "SPECIALIZATIONS", "Scenario", "add_arguments", "scenario_of"]

SOURCES = ("walk_in", "online", "follow_up", "priority")
SPECIALIZATIONS = ("General Medicine", "Paediatrics", "Orthopaedics", "ENT", "Dermatology",
                   "Cardiology", "Gynaecology", "Ophthalmology")
SURNAMES = ("Rao", "Iyer", "Sharma", "Menon", "Gupta", "Khan", "Das", "Nair", "Bose", "Reddy",
            "Pillai", "Joshi")


@dataclass(frozen=True)
class Scenario:
    doctors: int = 6
    specializations: int = 3
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    slot_minutes: int = 60
    capacity: int = 10
    patients: int = 240
    mix: dict[str, float] = field(default_factory=lambda: {
        "walk_in": 40, "online": 35, "follow_up": 15, "priority": 10})
    emergencies: int = 4
    cancel_rate: float = 0.08  # of advance bookings; walk-ins stand at the desk
    no_show_rate: float = 0.07
    late_minutes: int = 45  # 0: no doctor runs late
    late_capacity: int = 6  # places in each of the late doctor's two half-hour slots today
    day_in_seconds: float = 60  # 0: as fast as the system answers
    seed: int = 1
    timezone: str = "Asia/Kolkata"  # the allocator's OPD_TIMEZONE: its 'today' and 'over'

    @property
    def day_starts(self) -> int:
        """Simulated minutes since midnight: bookings begin two hours before the clinic."""
        return _minutes(self.opens) - 120

    @property
    def day_ends(self) -> int:
        """Doctors finish their queues for up to 90 minutes after closing, then stop."""
        return _minutes(self.closes) + 90

    def slot_times(self) -> list[tuple[int, int]]:
        start, end = _minutes(self.opens), _minutes(self.closes)
        return [(m, min(m + self.slot_minutes, end))
                for m in range(start, end, self.slot_minutes)]


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _mix(text: str) -> dict[str, float]:
    pairs = dict(part.split("=", 1) for part in text.split(","))
    unknown = set(pairs) - set(SOURCES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown sources {sorted(unknown)}; use {SOURCES}")
    return {source: float(pairs.get(source, 0)) for source in SOURCES}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = Scenario()
    add = parser.add_argument
    add("--doctors", type=int, default=d.doctors, help="doctors working tomorrow")
    add("--specializations", type=int, default=d.specializations, choices=range(1, 9))
    add("--opens", type=dt.time.fromisoformat, default=d.opens, help="first slot, HH:MM")
    add("--closes", type=dt.time.fromisoformat, default=d.closes, help="last slot ends, HH:MM")
    add("--slot-minutes", type=int, default=d.slot_minutes)
    add("--capacity", type=int, default=d.capacity, help="places per slot")
    add("--patients", type=int, default=d.patients, help="bookings attempted over the day")
    add("--mix", type=_mix, default=d.mix, help="source shares, e.g. walk_in=40,online=35,"
        "follow_up=15,priority=10")
    add("--emergencies", type=int, default=d.emergencies)
    add("--cancel-rate", type=float, default=d.cancel_rate)
    add("--no-show-rate", type=float, default=d.no_show_rate)
    add("--late-minutes", type=int, default=d.late_minutes, help="0: nobody runs late")
    add("--late-capacity", type=int, default=d.late_capacity)
    add("--day-in-seconds", type=float, default=d.day_in_seconds,
        help="wall-clock seconds for the whole day; 0: as fast as possible")
    add("--seed", type=int, default=d.seed, help="the same seed plans the same day")
    add("--timezone", default=d.timezone, help="the hospital's zone (OPD_TIMEZONE)")


def scenario_of(args: argparse.Namespace) -> Scenario:
    """The scenario the options describe; ValueError if it cannot be run."""
    s = Scenario(**{name: getattr(args, name) for name in Scenario.__dataclass_fields__})
    if min(s.doctors, s.capacity, s.slot_minutes, s.late_capacity) < 1 or s.patients < 0:
        raise ValueError("doctors, capacity, slot minutes and late capacity must be at least 1")
    if _minutes(s.closes) - _minutes(s.opens) < s.slot_minutes or _minutes(s.opens) < 120:
        raise ValueError("the clinic needs a slot between --opens (02:00 or later) and --closes")
    if not 0 <= s.cancel_rate + s.no_show_rate <= 1 or not sum(s.mix.values()) > 0:
        raise ValueError("rates must add up to at most 1, and the mix must not be all zero")
    return s
