"""The desk: booking (taking an offered alternative when a slot is full) and every token
status change, each answer noted in the ledger."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import httpx

from opd_ops.sim.client import Api
from opd_ops.sim.clock import SimClock
from opd_ops.sim.ledger import Ledger, Window
from opd_ops.sim.scenario import Scenario

__all__ = ["Day", "SetupError", "act", "book"]


class SetupError(RuntimeError):
    """The system refused to open the clinic: nothing to simulate."""


@dataclass
class Day:
    """Everything an actor needs: the door, the ledger, the clock and the plan's knobs."""

    api: Api
    ledger: Ledger
    clock: SimClock
    scenario: Scenario
    rng: random.Random
    doctor_ids: list[int]


def _body(n: int, window: Window, source: str) -> dict[str, Any]:
    phone = None if source == "walk_in" else f"98{n:08d}"  # walk-ins rarely leave one
    return {"patient_name": f"Patient {n:04d}", "patient_phone": phone,
            "doctor_id": window.doctor_id, "slot_id": window.slot_id, "source": source}


def _alternative(day: Day, answer: dict[str, Any], source: str) -> Window | None:
    """The first offered slot that is one of ours and not yet under way (for a walk-in:
    with a quarter of an hour left); others' doctors may share a specialization."""
    now = day.clock.now
    for offered in answer.get("alternatives", []):
        window = day.ledger.windows.get(offered["id"])
        if window and (window.start > now or (source == "walk_in" and window.end - 15 > now)):
            return window
    return None


async def book(day: Day, n: int, doctor_id: int, source: str) -> dict[str, Any] | None:
    """A token, or None when the patient is turned away."""
    ledger = day.ledger
    window = ledger.choose(doctor_id, source, day.clock.now, day.rng)
    if window is None:
        ledger.happened["turned away: no session left today"] += 1
        return None
    answer = await day.api.post("/api/v1/tokens", _body(n, window, source))
    if answer.status_code == 409 and answer.json().get("code") == "slot_full":
        ledger.happened["refused: slot full (409 with alternatives)"] += 1
        window = _alternative(day, answer.json(), source)
        if window is None:
            ledger.happened["turned away: no alternative left"] += 1
            return None
        answer = await day.api.post("/api/v1/tokens", _body(n, window, source))
        ledger.happened["booked an offered alternative"] += answer.status_code == 201
    token = ledger.note(answer)
    if token is None:
        ledger.happened[f"booking answered {answer.status_code} {_code(answer)}"] += 1
    return token


async def act(day: Day, token_id: int, action: str, **params: Any) -> dict[str, Any] | None:
    """check-in, cancel, no-show or complete; the token's new snapshot, or None."""
    answer = await day.api.post(f"/api/v1/tokens/{token_id}/{action}", params=params or None)
    token = day.ledger.note(answer)
    if token is None:
        day.ledger.happened[f"{action} answered {answer.status_code} {_code(answer)}"] += 1
    return token


def _code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code", ""))
    except ValueError:
        return ""
