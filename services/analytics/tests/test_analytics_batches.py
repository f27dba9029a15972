"""Many events in one transaction (`apply_events`) leave exactly the tables that applying
them one at a time, in the same order, leaves: every row of every table, on a made-up
hospital's events delivered out of order, with redeliveries, cut into batches at random."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from analytics.database import MIGRATIONS_DIR, create_engine, create_session_factory
from analytics.projections import apply_event, apply_events
from analytics.rollup_tables import DailyTokens
from analytics.rollups import rollups_of
from analytics.settings import AnalyticsSettings
from analytics.tables import EventFact, Slot, Token, metadata
from opd_contracts import EventEnvelope, EventType, SlotRecord, TokenRecord
from opd_contracts.vocabulary import Source, TokenStatus
from opd_shared.database import migrate

ZONE = ZoneInfo("Asia/Kolkata")
DAYS = (dt.date(2026, 5, 11), dt.date(2026, 5, 12))
ST = TokenStatus
WAITING = (ST.ALLOCATED, ST.CHECKED_IN)
NEXT = {ST.CHECKED_IN: (ST.CONSULTING, "consultation_started_at"),
        ST.CONSULTING: (ST.COMPLETED, "completed_at")}
MOVES = [("doctor delayed 30 min", "delay"), ("patient asked for the afternoon", "reallocation"),
         ("moved to make room for an emergency", "emergency_bump"),
         ("fairness: waited too long", None)]  # an event from before `move_kind`: by its reason


_labels = itertools.count()


@pytest.fixture
async def new_database(infra):
    """`await new_database()`: sessions on a fresh, migrated analytics database."""
    engines = []

    async def make():  # type: ignore[no-untyped-def]
        # A label of its own: namespaces differ by 4 random hex digits only, and a database
        # handed out twice would hold another test's rows, which these tests compare whole.
        settings = infra.settings(AnalyticsSettings, infra.namespace(f"ab{next(_labels)}"))
        await migrate(settings.database_url, MIGRATIONS_DIR)
        engines.append(create_engine(settings.database_url, pool_size=4))
        return create_session_factory(engines[-1])

    yield make
    for engine in engines:
        await engine.dispose()


class Desk:
    """One doctor's schedule, kept as the allocator keeps it, and the events it publishes
    (into `published`, shared by all desks: the order the allocator published them in)."""

    def __init__(self, history: Any, rng: random.Random, specialization: str,
                 published: list[EventEnvelope]) -> None:
        self.d, self.rng, self.published = history(), rng, published
        self.d.doctor = self.d.doctor.model_copy(update={"specialization": specialization})
        self.slots: dict[int, SlotRecord] = {}
        self.waiting: dict[int, TokenRecord] = {}  # allocated or checked in, by id
        self.seen: dict[int, TokenRecord] = {}  # in consultation
        self.publish(EventType.DOCTOR_REGISTERED, doctor=self.d.doctor)
        for day in DAYS:
            for start in (9, 11):
                slot = self.d.slot(day, capacity=rng.randint(2, 4), start=start)
                self.slots[slot.id] = slot
                self.publish(EventType.SLOT_OPENED, slots=[slot])

    def publish(self, type: EventType, **fields: Any) -> None:
        self.published.append(self.d.event(type, **fields))

    def hold(self, slot_id: int, change: int) -> SlotRecord:
        slot = self.slots[slot_id]
        count = max(slot.current_count + change, 0)
        slot = slot.model_copy(update={
            "current_count": count, "overflow_count": max(count - slot.max_capacity, 0)})
        self.slots[slot_id] = slot
        return slot

    def carried(self, *slots: SlotRecord) -> list[SlotRecord]:
        """Mostly the slots an event changed; sometimes none, as a bare history has it."""
        return list(slots) if self.rng.random() < 0.7 else []

    def start(self, slot_id: int) -> dt.datetime:
        slot = self.slots[slot_id]
        return dt.datetime.combine(slot.date, slot.start_time, ZONE)

    def book(self, source: Source | None = None, **fields: Any) -> None:
        slot = self.rng.choice(list(self.slots.values()))
        source = source or self.rng.choice(list(Source))
        booked = self.start(slot.id) - dt.timedelta(minutes=self.rng.randint(5, 2000))
        emergency = source is Source.PRIORITY and self.rng.random() < 0.5
        token = self.d.token(slot, source, **fields).model_copy(update={
            "allocated_at": booked, "is_emergency": emergency,
            "is_overflow": slot.current_count >= slot.max_capacity})
        self.waiting[token.id] = token
        self.publish(EventType.TOKEN_ALLOCATED, tokens=[token], slots=[self.hold(slot.id, 1)],
                     move_kind="transfer" if token.moved_from_slot_id else None)

    def advance(self) -> None:
        """A waiting patient checks in, is called, finishes; or cancels or does not come."""
        if self.seen and self.rng.random() < 0.5:
            token = self.seen.pop(self.rng.choice(list(self.seen)))
        elif self.waiting:
            token = self.waiting.pop(self.rng.choice(list(self.waiting)))
        else:
            return
        start, gap = self.start(token.slot_id), dt.timedelta(minutes=self.rng.randint(2, 70))
        if token.status is ST.ALLOCATED and self.rng.random() < 0.3:
            status = self.rng.choice([ST.CANCELLED, ST.NO_SHOW])
            after = token.model_copy(update={"status": status, "closed_at": start + gap})
            slots = self.carried(self.hold(token.slot_id, -1))
        elif token.status is ST.ALLOCATED:
            after = token.model_copy(update={"status": ST.CHECKED_IN, "checked_in_at": start})
            self.waiting[token.id], slots = after, []
        else:
            status, stamp = NEXT[token.status]
            after = token.model_copy(update={"status": status, stamp: start + gap})
            if status is ST.CONSULTING:
                self.seen[token.id] = after
            slots = []
        self.publish(EventType.TOKEN_STATUS_CHANGED, tokens=[after], slots=slots,
                     previous_status=token.status)

    def move(self) -> None:
        token = self.waiting.pop(self.rng.choice(list(self.waiting)))
        target = self.rng.choice([s for s in self.slots if s != token.slot_id])
        reason, kind = self.rng.choice(MOVES)
        after = token.model_copy(update={"slot_id": target, "moved_from_slot_id": token.slot_id,
                                         "move_reason": reason})
        self.waiting[token.id] = after
        slots = self.carried(self.hold(token.slot_id, -1), self.hold(target, 1))
        self.publish(EventType.TOKEN_MOVED, tokens=[after], slots=slots, reason=reason,
                     move_kind=kind)

    def colleagues(self, desks: list[Desk]) -> list[Desk]:
        mine = self.d.doctor.specialization
        return [d for d in desks if d is not self and d.d.doctor.specialization == mine]

    def transfer(self, colleague: Desk) -> None:
        """The colleague books the patient anew; the old token is cancelled, saying where."""
        token = self.waiting.pop(self.rng.choice(list(self.waiting)))
        after = token.model_copy(update={"status": ST.CANCELLED, "closed_at": token.allocated_at})
        self.publish(EventType.TOKEN_STATUS_CHANGED, tokens=[after],
                     slots=self.carried(self.hold(token.slot_id, -1)),
                     previous_status=token.status, reason="transferred", move_kind="transfer")
        colleague.book(token.source, moved_from_slot_id=token.slot_id,
                       move_reason=f"transferred to a colleague (was {token.token_number})")

    def resize(self) -> None:
        slot = self.rng.choice(list(self.slots.values()))
        self.slots[slot.id] = slot.model_copy(update={
            "max_capacity": slot.max_capacity + 1, "is_active": self.rng.random() < 0.8})
        self.publish(EventType.SLOT_UPDATED, slots=[self.slots[slot.id]])

    def respecialize(self) -> None:
        """Rare, but analytics must follow it: the doctor's tokens change specialization."""
        now = "Neurology" if self.d.doctor.specialization != "Neurology" else "General"
        self.d.doctor = self.d.doctor.model_copy(update={"specialization": now})
        self.publish(EventType.DOCTOR_REGISTERED, doctor=self.d.doctor)


def a_hospital(history: Any, rng: random.Random, actions: int = 220) -> list[EventEnvelope]:
    """Four doctors (two specializations) over two days, in the order they were published."""
    published: list[EventEnvelope] = []
    desks = [Desk(history, rng, specialization, published)
             for specialization in ("Cardiology", "Cardiology", "ENT", "ENT")]
    for _ in range(actions):
        desk = rng.choice(desks)
        roll = rng.random()
        if roll < 0.35 or not desk.waiting:
            desk.book()
        elif roll < 0.75:
            desk.advance()
        elif roll < 0.85:
            desk.move()
        elif roll < 0.92 and (colleagues := desk.colleagues(desks)):
            desk.transfer(rng.choice(colleagues))
        elif roll < 0.97:
            desk.resize()
        elif roll < 0.98:
            desk.publish(EventType.DOCTOR_DELAYED, reason="doctor delayed 20 min")
        else:
            desk.respecialize()
    return published


def delivered(events: list[EventEnvelope], rng: random.Random,
              window: int) -> list[EventEnvelope]:
    """Each event up to `window` places from where it was published, and one in ten again."""
    late = sorted(range(len(events)), key=lambda i: i + rng.uniform(0, window))
    out = [events[i] for i in late]
    for _ in range(len(events) // 10):
        out.insert(rng.randrange(len(out) + 1), rng.choice(events))
    return out


def cut(events: list[EventEnvelope], rng: random.Random) -> list[list[EventEnvelope]]:
    batches, at = [], 0
    while at < len(events):
        size = rng.choice([1, 2, rng.randint(3, 20), rng.randint(20, 80)])
        batches.append(events[at:at + size])
        at += size
    return batches


async def every_table(sessions: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by key; not when a fact was received (the clock's)."""
    contents = {}
    async with sessions() as session:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "received_at"]
            query = select(*columns).order_by(*table.primary_key.columns)
            contents[table.name] = [tuple(row) for row in await session.execute(query)]
    return contents


# Nearly in order, then ever later; a few seeds in any order, where batch-only mistakes show.
@pytest.mark.parametrize(("seed", "window"),
                         [(1, 3), (2, 30), (3, 300), *((seed, 10_000) for seed in range(4, 9))])
async def test_batches_leave_the_tables_events_one_by_one_leave(
    new_database, history, seed, window
):
    rng = random.Random(seed)
    events = delivered(a_hospital(history, rng), rng, window)
    one_by_one, batched = await new_database(), await new_database()

    singly = [await apply_event(one_by_one, event, ZONE) for event in events]
    in_batches = [applied for batch in cut(events, rng)
                  for applied in await apply_events(batched, batch, ZONE)]

    expected = await every_table(one_by_one)
    assert [name for name, rows in expected.items() if not rows] == []  # all of them tried
    assert in_batches == singly
    assert singly.count(True) == len({e.event_id for e in events})
    got = await every_table(batched)
    for name in expected:
        assert got[name] == expected[name], name


def a_slot_filling(history: Any) -> tuple[list[EventEnvelope], SlotRecord, TokenRecord]:
    """A slot opened, a walk-in booked into it, checked in."""
    d = history()
    slot = d.slot(DAYS[0], capacity=2)
    token = d.token(slot, Source.WALK_IN)
    opened, allocated = d.opened(slot), d.allocated(token, d.held(slot, 1))
    _, checked_in = d.changed(token, ST.CHECKED_IN)
    return [opened, allocated, checked_in], slot, token


async def figures(sessions: Any, slot: SlotRecord, token: TokenRecord) -> dict[str, Any]:
    async with sessions() as session:
        counts = (await session.execute(select(DailyTokens).where(
            DailyTokens.doctor_id == slot.doctor_id))).scalar_one()
        return {
            "facts": await session.scalar(select(func.count()).select_from(EventFact)),
            "slot": (await session.get(Slot, slot.id)).version,
            "token": (await session.get(Token, token.id)).status,
            "counts": (counts.allocated, counts.checked_in),
        }


async def test_copies_of_an_event_in_one_batch_apply_once(new_database, history):
    (opened, allocated, checked_in), slot, token = a_slot_filling(history)
    sessions = await new_database()

    applied = await apply_events(
        sessions, [opened, allocated, opened, checked_in, allocated.model_copy(), opened], ZONE)

    assert applied == [True, True, False, True, False, False]
    assert await figures(sessions, slot, token) == {
        "facts": 3, "slot": 2, "token": "checked_in", "counts": (0, 1)}


async def test_an_event_applied_by_an_earlier_batch_is_not_applied_again(new_database, history):
    (opened, allocated, checked_in), slot, token = a_slot_filling(history)
    sessions = await new_database()

    first = await apply_events(sessions, [allocated, opened], ZONE)
    second = await apply_events(sessions, [checked_in, allocated, opened], ZONE)
    third = await apply_events(sessions, [], ZONE)

    assert (first, second, third) == ([True, True], [True, False, False], [])
    assert await figures(sessions, slot, token) == {
        "facts": 3, "slot": 2, "token": "checked_in", "counts": (0, 1)}


async def test_batches_sharing_doctors_run_at_once_without_deadlock(new_database, history,
                                                                    rollup_counts):
    """Two replicas' batches hold the same doctors (in opposite orders) and the same
    hospital-wide roll-up rows: locks taken in one order, so neither waits for the other
    in a circle. Whatever order they commit in, the roll-ups count the rows."""
    rng = random.Random(5)
    sessions = await new_database()
    events = a_hospital(history, rng, actions=300)
    halves = [events[0::2], events[1::2][::-1]]

    applied = await asyncio.gather(*(apply_events(sessions, half, ZONE) for half in halves))
    again = await apply_events(sessions, events, ZONE)

    assert sum(sum(flags) for flags in applied) == len(events) and not any(again)
    async with sessions() as session:
        tokens = (await session.execute(select(Token.__table__))).mappings().all()
        slots = (await session.execute(select(Slot.__table__))).mappings().all()
        assert await rollup_counts(session) == rollups_of(tokens, slots, ZONE)
