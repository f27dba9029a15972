"""Apply the allocator's events and decide, in the same transaction, whom to tell what.

Applying is queue-view's way, through the shared kit (`opd_shared.readmodel`): each event
is claimed once by its id, and the newest snapshot of each record wins. Then the rules
(`notifier.rules`) run on the events claimed now: what the event says (called, moved,
cancelled), and, for every slot those events touched, which waiting tokens are now near
their turn (someone else being called moves everyone up). A notification is inserted
only if its (token, rule) is new, and its sends are written with it, so a redelivered
event, a replay or a rebuild tells nobody anything twice; the sends go out after the
commit (`notifier.sender`).

A batch costs about four statements whatever its size (the claim and the snapshots as one,
queue heads, what telling needs, the notifications with their sends as one; the slots' times
only for a slot the batch did not write): `bench/apply_cost.py` went from 172 to 111 us of
this process's CPU per event and PostgreSQL's backend from 131 to 120, and the service
consuming 371 events/s in messages of 23 from 311 to 248 and 160 to 151, against nine
statements (medians of four, alternated, on a 2-core machine at load 4-9; issue #13). The
window over every live token and the entities it built had cost ~450-560 and ~310-360.

Tokens whose slot's day is over in the hospital's time zone are told nothing (a replayed
history must not wake anyone).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg import Connection
from sqlalchemy import BigInteger, Column, MetaData, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from notifier.heads import AnyRow, heads_not_told
from notifier.models import AppliedEvent, Doctor, Notification, OptOut, Send, Slot, Token
from notifier.quiet import held_until
from notifier.rules import Thresholds, Told, event_rules, near_reach, near_wait
from notifier.settings import NotifierSettings
from opd_contracts import EventEnvelope, SlotRecord
from opd_shared.readmodel import (
    Together,
    claim,
    column_arrays,
    ignoring,
    newest,
    replacing,
    snapshot_columns,
    snapshot_row,
    table_of,
)
from opd_shared.readmodel.driver import Statement

__all__ = ["Notifying", "apply_events", "near_in_slots"]

APPLIED, DOCTORS, SLOTS, TOKENS = (table_of(m) for m in (AppliedEvent, Doctor, Slot, Token))
NOTIFICATIONS, OPT_OUTS, SENDS = table_of(Notification), table_of(OptOut), table_of(Send)
# What a token's snapshot writes: every column but the slot it was told `near` in, which
# only telling writes (`notifier.heads`, migration 0004), so that an upsert keeps it.
TOKEN_SNAPSHOTS = Table(TOKENS.name, MetaData(), *(
    Column(c.name, c.type, primary_key=c.primary_key) for c in TOKENS.columns
    if c.name != "near_told_slot"))
# One execution per batch, the rows as records (opd_shared.readmodel.together): an insert
# with RETURNING of many rows was a new statement for every number of rows, and the sends, an
# executemany, one execution per send (2,032 in the bench's 300 batches).
# The claim and the newest snapshots, one statement (it was four). Every event's snapshots
# are written, a repeat's too: the seq guard makes a repeat's change nothing (its event was
# applied, so each of its rows holds that seq or a newer one), and only the events the claim
# inserted are decided on. It answers the ids claimed and the ids of the slots it wrote,
# whose times deciding then takes from their snapshots rather than read them back (a
# statement per batch; a booking's event carries its slot).
_CLAIM_AND_KEEP = Together(
    (("claim", ignoring(APPLIED, ("event_id", "doctor_id", "seq", "type"),
                        returning=("event_id",))),
     ("doctors", replacing(DOCTORS, newer_only=True)),
     ("slots", replace(replacing(SLOTS, newer_only=True), returning=("id",))),
     ("tokens", replacing(TOKEN_SNAPSHOTS, newer_only=True))),
    answer="SELECT event_id, NULL AS slot_id FROM write_claim"
           " UNION ALL SELECT NULL, id FROM write_slots")
# The notifications not told before (the same token and rule: the only unique key the rows
# can meet, the id being new) and a send of each through each of its token's channels, in
# one statement (they were two): the sends in notification order, each token's channels in
# the order given, one due time for all. The channels are no table's rows: one array per
# column (`reach_<column>`). And each token told `near` says in which slot
# (`near_told_slot`, see `notifier.heads`), in token order: after the insert, which skips
# only a (token, rule) present, every `near` offered is in `notifications`, so the column
# never says told where it is not.
_REACH = (NOTIFICATIONS.c.token_id, SENDS.c.channel, SENDS.c.status, SENDS.c.last_error)
_NEAR = (TOKENS.c.id, TOKENS.c.slot_id)
_NOTIFY_AND_SEND = Together(
    (("notify", ignoring(NOTIFICATIONS, ("token_id", "kind", "rule", "token_number", "text",
                                         "details"), returning=("id", "token_id"))),),
    then=(("marked", "UPDATE tokens SET near_told_slot = near.slot_id FROM unnest({})"
                     " AS near(id, slot_id) WHERE tokens.id = near.id".format(
                         column_arrays((f"near_{c.name}", c) for c in _NEAR))),),
    answer="INSERT INTO sends (notification_id, channel, status, last_error, due_at)"
    " SELECT write_notify.id, reach.channel, reach.status, reach.last_error,"
    " CAST(:due_at AS TIMESTAMP WITH TIME ZONE) FROM write_notify JOIN unnest({}) WITH"
    " ORDINALITY AS reach(token_id, channel, status, last_error, place)"
    " ON reach.token_id = write_notify.token_id ORDER BY write_notify.id, reach.place".format(
        column_arrays((f"reach_{c.name}", c) for c in _REACH)))

@dataclass(frozen=True)
class Notifying:
    """What deciding needs besides the events: the settings and which channels exist."""

    settings: NotifierSettings
    webhook_apps: frozenset[str]
    sms: bool


async def apply_events(connection: Connection, events: Sequence[EventEnvelope],
                       notifying: Notifying, now: dt.datetime) -> list[bool]:
    """Apply the events in the caller's transaction, on its asyncpg connection
    (`opd_shared.readmodel.driver.batch_transaction`: SQLAlchemy's layers around each of a
    batch's statements cost more CPU than the statements' own client work)."""
    written: dict[int, SlotRecord] = {}
    claimed = await claim(events, lambda batch: _claim_and_keep(connection, batch, written))
    fresh = claimed.fresh
    if fresh:
        told = [rule for e in fresh for _, rule in event_rules(e)]
        touched = {t.slot_id for e in fresh for t in e.tokens} | {
            s.id for e in fresh for s in e.slots}
        # Every slot the event rules name: as written now, or as the table holds it.
        slots: dict[int, Any] = {key: written[key] for key in touched & written.keys()}
        slots |= await _slot_times(connection, touched - written.keys())
        told += await _near(connection, [slots[key] for key in sorted(slots)], notifying, now)
        await _record(connection, told, slots, notifying, now)
    return claimed.answers


async def _claim_and_keep(connection: Connection, events: list[EventEnvelope],
                          written: dict[int, SlotRecord]) -> set[uuid.UUID]:
    """Claim `events` (in the ascending id order given) and write the newest snapshot of
    each record they carry (in ascending id order); the ids claimed now. The slots whose
    rows are now their snapshots go into `written`."""
    snapshots: dict[str, list[tuple[Any, int]]] = {
        "doctors": [(e.doctor, e.seq) for e in events if e.doctor],
        "slots": [(slot, e.seq) for e in events for slot in e.slots],
        "tokens": [(t, e.seq) for e in events for t in e.tokens]}
    rows = {"claim": [{"event_id": e.event_id, "doctor_id": e.doctor_id, "seq": e.seq,
                       "type": e.type.value} for e in events]}
    newest_slots = {}
    for table in (DOCTORS, SLOTS, TOKEN_SNAPSHOTS):
        columns = snapshot_columns(table)
        chosen = newest(snapshots[table.name])
        if table is SLOTS:
            newest_slots = {record.id: record for record, _ in chosen}
        rows[table.name] = [snapshot_row(record, columns, version)
                            for record, version in chosen]
    answers = await _CLAIM_AND_KEEP.fetch(connection, rows)
    written.update((row["slot_id"], newest_slots[row["slot_id"]]) for row in answers
                   if row["slot_id"] is not None)
    return {row["event_id"] for row in answers if row["event_id"] is not None}


# What `near` reads of a slot: a plain row, not an entity (building an entity per live
# token was most of the notifier's CPU, issue #13). Of the slots whose ids are given
# (`_IDS`, see below).
_IDS = bindparam("ids", type_=ARRAY(BigInteger))
_SLOT_TIMES = Statement.of(select(
    SLOTS.c.id, SLOTS.c.date, SLOTS.c.start_time, SLOTS.c.end_time,
    SLOTS.c.max_capacity).where(SLOTS.c.id == any_(_IDS)))


# The look-ups here take their ids as one array parameter (`= ANY(:ids)`), each one
# prepared statement. They were IN lists, a statement rendered anew for each length: as one
# prepared statement, PostgreSQL had frozen the generic plan it made while `notifications`
# was nearly empty, a sequential scan testing each row against ~500 ids (the bench's
# PostgreSQL time per event 227 -> 601 us, issue #13). The consumer's connection plans each
# statement once with sequential scans off (`opd_shared.readmodel.planning`), so that such a
# plan reads through the index whatever the statistics: test_notifier_plans.py holds the
# plans made on empty tables to the indexes, test_notifier_queue_heads.py reads _TELLING's
# generic plan on stale statistics.


def _starts_at(date: dt.date, start: dt.time, timezone: str) -> dt.datetime:
    return dt.datetime.combine(date, start, ZoneInfo(timezone))


async def _slot_times(connection: Connection, slot_ids: Iterable[int]
                      ) -> dict[int, AnyRow]:
    """The slots' times (`_SLOT_TIMES`) by id, read once for deciding and for the words."""
    if not slot_ids:
        return {}
    return {s.id: s for s in await _SLOT_TIMES.rows(connection, {"ids": sorted(slot_ids)})}


async def _near(connection: Connection, slots: list[AnyRow], notifying: Notifying,
                now: dt.datetime) -> list[Told]:
    """Who is newly near in these slots. Only slots that start soon enough for any token to
    be near are read, and of their queues only as many places as can be near; PostgreSQL
    leaves out the tokens told already (`notifier.heads`)."""
    settings = notifying.settings
    limits = Thresholds(settings.notify_ahead, settings.notify_minutes)
    # Slots of the same hours reach as far: asked once (asking each slot, place by place,
    # was a sixth of the apply's CPU in the bench, whose slots all keep the same hours).
    reaches: dict[tuple[Any, ...], int | None] = {}
    reaching = {}
    for s in slots:
        hours = (s.start_time, s.end_time, s.max_capacity,
                 _starts_at(s.date, s.start_time, settings.timezone))
        if hours not in reaches:
            reaches[hours] = near_reach(*hours, now, limits)
        if reaches[hours] != 0:
            reaching[s.id] = reaches[hours]
    if not reaching:
        return []
    heads = await heads_not_told(connection, reaching)
    return near_in_slots(slots, heads, settings.timezone, now, limits)


def near_in_slots(slots: Iterable[AnyRow], heads: Iterable[AnyRow], timezone: str,
                  now: dt.datetime, limits: Thresholds) -> list[Told]:
    """Every waiting token that is near its turn, from its slots' times (`_SLOT_TIMES`) and
    the waiting tokens at their queues' heads with their places (`heads.heads_not_told`:
    id, slot_id, ahead), in the heads' order. Whether a token is near depends only on its
    place (`rules.near_wait`)."""
    starts = {s.id: (s, _starts_at(s.date, s.start_time, timezone)) for s in slots}
    told = []
    for token in heads:
        if token.slot_id not in starts:
            continue
        slot, starts_at = starts[token.slot_id]
        wait = near_wait(token.ahead, slot.start_time, slot.end_time, slot.max_capacity,
                         starts_at, now, limits)
        if wait is not None:
            told.append(Told(token.id, "near", f"near:{token.slot_id}", token.slot_id,
                             token.ahead, wait))
    return told


def _words(kind: str, token: AnyRow, details: dict[str, Any]) -> str:
    number, room = details["number"], details["room"] or "-"
    if kind == "near":
        text = (f"Token {number}: your turn is near ({details['ahead']} ahead, about "
                f"{details['wait_minutes']} min). Room {room}.")
    elif kind == "called":
        text = f"Token {number}: please go to room {room} now."
    elif kind == "moved":
        who = f" with {token.doctor_name}" if token.doctor_name is not None else ""
        text = (f"Token {number} moved: now {details['date']} at {details['time']}{who}, "
                f"room {room}.")
    else:
        text = f"Token {number} was cancelled."
    return text + (f" {details['link']}" if details.get("link") else "")


# What telling a token needs, in one statement (it was five: what was told, the tokens, the
# opt-outs, the slots and the doctors, each as entities, about a third of the apply's CPU):
# where to send and what to say, its doctor (none: NULLs; a doctor always has a name), and
# the rules told it already (a replay or a rebuild offers every event's rules again, and
# reading them is cheaper than preparing each repeat for an insert that skips it; `near`
# rules come already sifted, `notifier.heads`, and the insert still skips one told
# meanwhile).
_TELLING = Statement.of(select(
    TOKENS.c.id, TOKENS.c.token_number, TOKENS.c.doctor_id, TOKENS.c.slot_id,
    TOKENS.c.patient_phone, TOKENS.c.channel, TOKENS.c.ticket,
    DOCTORS.c.name.label("doctor_name"), DOCTORS.c.room,
    OPT_OUTS.c.token_id.is_not(None).label("opted_out"),
    select(func.array_agg(NOTIFICATIONS.c.rule)).where(
        NOTIFICATIONS.c.token_id == TOKENS.c.id).scalar_subquery().label("told"),
).outerjoin(DOCTORS, DOCTORS.c.id == TOKENS.c.doctor_id).outerjoin(
    OPT_OUTS, OPT_OUTS.c.token_id == TOKENS.c.id).where(TOKENS.c.id == any_(_IDS)))


async def _record(connection: Connection, told: list[Told], slots: dict[int, AnyRow],
                  notifying: Notifying, now: dt.datetime) -> None:
    """Insert the notifications not told before and their sends. `slots`: the times of the
    slots the batch touched, which the rules name (another is read)."""
    if not told:
        return
    tokens = {t.id: t for t in await _TELLING.rows(
        connection, {"ids": sorted({t.token_id for t in told})})}
    told = [rule for rule in told if rule.token_id in tokens
            and rule.rule not in (tokens[rule.token_id].told or ())]
    if not told:
        return
    settings = notifying.settings
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    due = held_until(now, settings.quiet_start, settings.quiet_end, settings.timezone) or now
    their_slots = {rule.slot_id or tokens[rule.token_id].slot_id for rule in told}
    slots = {**slots, **await _slot_times(connection, their_slots - slots.keys())}
    rows, seen, told_now = [], set(), []
    for rule in told:
        token = tokens[rule.token_id]
        slot = slots.get(rule.slot_id or token.slot_id)
        if (slot is not None and slot.date < today) or (token.id, rule.rule) in seen:
            continue  # the same rule twice in one batch: the first is the one told
        seen.add((token.id, rule.rule))
        told_now.append(rule)
        details = _details(rule, token, slot, settings)
        rows.append({"token_id": token.id, "kind": rule.kind, "rule": rule.rule,
                     "token_number": token.token_number, "details": json.dumps(details),
                     "text": _words(rule.kind, token, details)})
    if not rows:
        return
    # Each token's channels, whichever of its notifications the insert keeps.
    reach = [{"token_id": token_id, "channel": name,
              "status": "skipped" if tokens[token_id].opted_out else "pending",
              "last_error": "the patient opted out" if tokens[token_id].opted_out else None}
             for token_id in sorted({row["token_id"] for row in rows})
             for name in _channels(tokens[token_id], notifying)]
    near = sorted((rule.token_id, rule.slot_id) for rule in told_now if rule.kind == "near")
    await _NOTIFY_AND_SEND.fetch(
        connection, {"notify": rows}, due_at=due,
        near_id=[token_id for token_id, _ in near], near_slot_id=[slot for _, slot in near],
        **{f"reach_{c.name}": [send[c.name] for send in reach] for c in _REACH})


def _channels(token: AnyRow, notifying: Notifying) -> list[str]:
    return [name for name, reaches in (
        ("webhook", token.channel in notifying.webhook_apps),
        ("sms", notifying.sms and bool(token.patient_phone))) if reaches]


def _details(rule: Told, token: AnyRow, slot: AnyRow | None, settings: NotifierSettings
             ) -> dict[str, Any]:
    return {
        "number": token.token_number.rsplit("-", 1)[-1], "room": token.room,
        "doctor": token.doctor_name,
        "date": slot.date.isoformat() if slot else None,
        "time": slot.start_time.strftime("%H:%M") if slot else None,
        "ahead": rule.ahead, "wait_minutes": rule.wait_minutes,
        "link": (f"{settings.public_url.rstrip('/')}/t/{token.ticket}"
                 if settings.public_url and token.ticket else None),
    }
