"""What the simulation knows: only what the gateway's answers said.

Every token is kept as the last snapshot an answer carried. Two changes come without a
snapshot of the token itself: a delay's answer lists who moved where, and an emergency into
a full slot moves a walk-in whose token is not in the answer. For that one the rule the
README publishes decides (the latest, lowest-scored waiting walk-in goes to the doctor's
next slot with room); the token's next answer corrects it if the guess was wrong.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from opd_contracts.vocabulary import HOLDS_PLACE, WAITING

__all__ = ["Ledger", "Move", "Window"]

CORRECTED = ("slot_id", "status", "is_overflow", "sequence_number", "priority_score",
             "moved_from_slot_id", "checked_in_at", "consultation_started_at", "completed_at")
# A token's status only moves forward; an answer showing an earlier one crossed a later one.
RANK = {"allocated": 0, "checked_in": 1, "consulting": 2, "completed": 3, "cancelled": 3,
        "no_show": 3}


@dataclass(frozen=True)
class Window:
    """A slot, and when it runs on the simulated clock (minutes since midnight)."""

    slot_id: int
    doctor_id: int
    date: dt.date
    start: int
    end: int
    capacity: int
    starts_at: dt.datetime  # the hospital's wall clock, as the allocator orders slots
    ends_at: dt.datetime


@dataclass(frozen=True)
class Move:
    token_id: int
    kind: str  # doctor_delay or emergency_bump, as analytics names them
    from_slot: int
    to_slot: int


@dataclass
class Ledger:
    doctors: dict[int, dict[str, Any]] = field(default_factory=dict)
    windows: dict[int, Window] = field(default_factory=dict)
    tokens: dict[int, dict[str, Any]] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    happened: Counter[str] = field(default_factory=Counter)  # refusals, rebookings, ...
    last_sequence: Counter[int] = field(default_factory=Counter)
    day: dt.date = dt.date.min  # the simulated day (tomorrow); set when the slots open
    zone: str = "Asia/Kolkata"  # the hospital's, for 'already over'
    notes: list[str] = field(default_factory=list)  # scenes skipped, and why
    clock: Callable[[], float] = lambda: 0.0  # simulated now, for waits on the day's clock
    sim_times: dict[int, dict[str, float]] = field(default_factory=dict)  # token -> status -> t

    def note(self, response: httpx.Response) -> dict[str, Any] | None:
        """Keep a token from a successful answer; None for any other answer."""
        if response.status_code not in (200, 201):
            return None
        token = response.json()
        held = self.tokens.get(token["id"])
        if held is not None and RANK[held["status"]] > RANK[token["status"]]:
            return token  # the desk's check-in answered after the doctor's call: keep the call
        self.tokens[token["id"]] = token
        self.sim_times.setdefault(token["id"], {}).setdefault(token["status"], self.clock())
        slot = token["slot_id"]
        self.last_sequence[slot] = max(self.last_sequence[slot], token["sequence_number"])
        return token

    def correct(self, seen: dict[str, Any]) -> None:
        """Take a read model's view of a token the ledger had guessed wrong."""
        token = self.tokens[seen["id"]]
        token.update({k: seen[k] for k in CORRECTED if k in seen})

    def waiting(self, slot_id: int) -> list[dict[str, Any]]:
        return [t for t in self.tokens.values()
                if t["slot_id"] == slot_id and t["status"] in WAITING]

    def has_room(self, slot_id: int) -> bool:
        held = sum(1 for t in self.tokens.values()
                   if t["slot_id"] == slot_id and t["status"] in HOLDS_PLACE)
        return held < self.windows[slot_id].capacity

    def slots_of(self, doctor_id: int) -> list[Window]:
        return sorted((w for w in self.windows.values() if w.doctor_id == doctor_id),
                      key=lambda w: w.starts_at)

    def choose(self, doctor_id: int, source: str, now: float,
               rng: random.Random) -> Window | None:
        """The slot a patient asks for: walk-ins the running or next one, priority the next,
        advance bookings any slot of the day at least an hour ahead."""
        slots = [w for w in self.slots_of(doctor_id) if w.date == self.day]
        if source == "walk_in":
            fits = [w for w in slots if w.end - 15 > now]
        elif source == "priority":
            fits = [w for w in slots if w.start >= now + 10]
        else:
            fits = [w for w in slots if w.start >= now + 60]
            return rng.choice(fits) if fits else None
        return fits[0] if fits else None

    def move(self, token_id: int, to_slot: int, kind: str) -> None:
        token = dict(self.tokens[token_id])
        self.moves.append(Move(token_id, kind, token["slot_id"], to_slot))
        self.last_sequence[to_slot] += 1
        token.update(slot_id=to_slot, moved_from_slot_id=token["slot_id"], is_overflow=False,
                     sequence_number=self.last_sequence[to_slot])
        self.tokens[token_id] = token

