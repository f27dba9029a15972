"""A patient's status as the words of their language: what the page renders on load and
what each live update replaces, field by field (so the two can never disagree)."""

from __future__ import annotations

from queue_view.i18n import Messages
from queue_view.patient.live import LiveStatus

__all__ = ["fields"]

DASH = "–"


def fields(status: LiveStatus, say: Messages) -> dict[str, str]:
    window = DASH
    if status.expected_from and status.expected_to:
        window = say("time_window", start=say.time(status.expected_from),
                     end=say.time(status.expected_to))
    return {
        "state": status.status.value,
        "status": say(f"status_{status.status.value}", room=status.room or DASH),
        "position": say.number(status.position) if status.position is not None else DASH,
        "ahead": say.number(status.ahead) if status.ahead is not None else DASH,
        "wait": (say("minutes", minutes=say.number(status.wait_minutes))
                 if status.wait_minutes is not None else DASH),
        "expected": window,
        "note": say("updates_itself") if status.in_queue else say("not_in_queue"),
    }
