"""Who comes when: the day's visits and emergencies, drawn once from the seed.

Arrivals follow a morning peak (most patients come in the hour around opening), a smaller
one after lunch, and a trickle all day. Times are whole simulated minutes since midnight,
so many actors share a tick and the clock has few steps to take.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from opd_ops.sim.scenario import SOURCES, Scenario

__all__ = ["Emergency", "Visit", "plan_day"]


@dataclass(frozen=True)
class Visit:
    n: int
    source: str
    arrives: int
    doctor: int  # index of the doctor asked for
    fate: str  # attend, cancel or no_show
    lead: int  # minutes before the slot the patient checks in (or cancels earlier)


@dataclass(frozen=True)
class Emergency:
    n: int
    at: int
    doctor: int


def _arrival(rng: random.Random, s: Scenario) -> int:
    opens, closes = s.day_starts + 120, s.day_ends - 90
    pick = rng.random()
    if pick < 0.6:  # the morning rush, centred half an hour after opening
        at = rng.gauss(opens + 30, 55)
    elif pick < 0.8:  # after lunch
        at = rng.gauss(opens + 300, 45)
    else:
        at = rng.uniform(s.day_starts, closes)
    return round(min(max(at, s.day_starts), closes - 45))


def _fate(rng: random.Random, s: Scenario, source: str) -> str:
    if source == "walk_in":
        return "attend"  # they are standing at the desk
    draw = rng.random()
    return ("cancel" if draw < s.cancel_rate
            else "no_show" if draw < s.cancel_rate + s.no_show_rate else "attend")


def _doctor(rng: random.Random, doctors: int) -> int:
    """Some doctors are more sought after than others (weights 1, 1/sqrt 2, 1/sqrt 3...)."""
    return rng.choices(range(doctors), weights=[(i + 1) ** -0.5 for i in range(doctors)])[0]


def plan_day(s: Scenario) -> tuple[list[Visit], list[Emergency]]:
    rng = random.Random(s.seed)
    weights = [s.mix[source] for source in SOURCES]
    visits = []
    for n in range(s.patients):
        source = rng.choices(SOURCES, weights=weights)[0]
        visits.append(Visit(n, source, _arrival(rng, s), _doctor(rng, s.doctors),
                            _fate(rng, s, source), rng.randint(5, 40)))
    opens = s.day_starts + 120
    latest = max(opens + 10, s.day_ends - 150)  # an hour before closing, if the day allows
    # Emergencies keep the day's rhythm (most in the morning rush) and, like patients, come
    # more often to the sought-after doctors, whose slots are the fullest.
    emergencies = [Emergency(n, min(max(_arrival(rng, s), opens + 10), latest),
                             _doctor(rng, s.doctors)) for n in range(s.emergencies)]
    return sorted(visits, key=lambda v: v.arrives), sorted(emergencies, key=lambda e: e.at)
