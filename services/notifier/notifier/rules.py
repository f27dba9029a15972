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
from collections.abc import Iterable
from dataclasses import dataclass

from opd_contracts import EventEnvelope, EventType, TokenRecord
from opd_contracts.vocabulary import WAITING, MoveKind, TokenStatus

__all__ = ["Thresholds", "Told", "event_rules", "is_near", "near_places", "near_reach",
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


def near_places(queue: Iterable[TokenStatus], start: dt.time, end: dt.time, capacity: int,
                starts_at: dt.datetime, now: dt.datetime, limits: Thresholds
                ) -> list[tuple[int, int]]:
    """Where in a slot's queue (its live tokens' statuses, in queue order) a waiting token
    is near its turn: (place, planned wait) pairs, the place being its `ahead`.

    The walk stops at the first place that is not near: the one behind has one more ahead
    and a planned wait no shorter, and `is_near` grows no truer with either. That holds
    unless the slot ends before it starts (a negative length makes the wait shrink as the
    queue grows), so such a slot is walked to its end."""
    waits_grow = end >= start
    found = []
    for ahead, status in enumerate(queue):
        wait = planned_wait(ahead, start, end, capacity)
        if not is_near(ahead, wait, starts_at, now, limits):
            if waits_grow:
                break
            continue
        if status in WAITING:
            found.append((ahead, wait))
    return found


def near_reach(start: dt.time, end: dt.time, capacity: int, starts_at: dt.datetime,
               now: dt.datetime, limits: Thresholds, most: int = 1000) -> int | None:
    """How many places from a queue's head `near_places` can reach before it stops (the
    first place that is not near, whoever holds it): the tokens behind need not be read.
    None when its walk may not stop (a slot whose planned wait does not grow) or would go
    beyond `most` places."""
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
