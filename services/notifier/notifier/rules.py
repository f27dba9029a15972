"""When a patient is told something: the rules, on plain values (no database, no clock).

- near: the token waits in a slot that starts within `minutes` (or has started), and
  `ahead` (the live tokens before it, the one consulting included) is at most `ahead`, or
  the estimated wait is at most `minutes`. Once per token and slot: a token moved to
  another slot may be told again there.
- called: it went in to the doctor (status consulting). Once.
- moved: an emergency bump, a doctor's delay, a reallocation or a transfer put it
  elsewhere. Once per move (the event's id), with the new slot's time.
- cancelled: cancelled, not by a transfer (that is a move). Once.

The estimated wait here is the planned pace (slot length / places) times `ahead`: the
notifier keeps no consultation history, and a message errs early by design.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opd_contracts import EventEnvelope, EventType, TokenRecord
from opd_contracts.vocabulary import MoveKind, TokenStatus

__all__ = ["Thresholds", "Told", "event_rules", "is_near", "near_reach", "near_wait",
           "planned_wait", "too_early"]


@dataclass(frozen=True)
class Thresholds:
    ahead: int
    minutes: int


@dataclass(frozen=True)
class Told:
    token_id: int
    kind: str  # near, called, moved, cancelled
    rule: str  # unique per token: what makes a second notice a repeat
    slot_id: int | None = None  # where the token was as this event or queue showed it
    ahead: int | None = None  # near: the queue as it stood
    wait_minutes: int | None = None


def planned_wait(ahead: int, start: dt.time, end: dt.time, capacity: int) -> int:
    day = dt.date(2000, 1, 1)
    length = (dt.datetime.combine(day, end) - dt.datetime.combine(day, start)).total_seconds()
    return int(ahead * length / 60 / max(capacity, 1) + 0.999)


def too_early(starts_at: dt.datetime, now: dt.datetime, limits: Thresholds) -> bool:
    """Whether the slot starts too late for any of its tokens to be near yet."""
    return starts_at - now > dt.timedelta(minutes=limits.minutes)


def is_near(ahead: int, wait_minutes: int, starts_at: dt.datetime, now: dt.datetime,
            limits: Thresholds) -> bool:
    if too_early(starts_at, now, limits):
        return False
    begun = max(starts_at, now)
    remaining = (begun - now).total_seconds() / 60 + wait_minutes
    return ahead <= limits.ahead or remaining <= limits.minutes


def near_wait(ahead: int, start: dt.time, end: dt.time, capacity: int,
              starts_at: dt.datetime, now: dt.datetime, limits: Thresholds) -> int | None:
    """The planned wait of a waiting token with `ahead` live tokens before it in a slot's
    queue, if it is near its turn; None if not. Whether it is near depends on its place
    only, not on who holds the others: the places are read from the database, numbered
    there (`notifier.heads`)."""
    wait = planned_wait(ahead, start, end, capacity)
    return wait if is_near(ahead, wait, starts_at, now, limits) else None


def near_reach(start: dt.time, end: dt.time, capacity: int, starts_at: dt.datetime,
               now: dt.datetime, limits: Thresholds, most: int = 1000) -> int | None:
    """How many places from a queue's head can be near: the first place that is not, and
    every place behind it, which has one more ahead and a planned wait no shorter (`is_near`
    grows no truer with either), so the tokens there need not be read. None when the slot's
    planned wait does not grow with the place (it ends before it starts, so every place must
    be asked) or the near places go beyond `most`."""
    if end <= start:
        return None
    places = 0
    while is_near(places, planned_wait(places, start, end, capacity), starts_at, now, limits):
        places += 1
        if places > most:
            return None
    return places


def event_rules(event: EventEnvelope) -> list[tuple[TokenRecord, Told]]:
    """What the event itself tells (called, moved, cancelled); `near` depends on the queue."""
    told: list[tuple[TokenRecord, Told]] = []
    for token in event.tokens:
        if event.type is EventType.TOKEN_STATUS_CHANGED and token.status is TokenStatus.CONSULTING:
            told.append((token, Told(token.id, "called", "called", token.slot_id)))
        elif token.status is TokenStatus.CANCELLED and event.move_kind is not MoveKind.TRANSFER:
            told.append((token, Told(token.id, "cancelled", "cancelled", token.slot_id)))
        elif event.type is EventType.TOKEN_MOVED or (
                event.type is EventType.TOKEN_ALLOCATED and event.move_kind is MoveKind.TRANSFER):
            told.append((token, Told(token.id, "moved", f"moved:{event.event_id}",
                                     token.slot_id)))
    return told
