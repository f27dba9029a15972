"""The notifier on the real broker and database: thresholds, calls, moves, cancellations,
each told once; quiet hours; opt-out; and who may see what was sent."""

from __future__ import annotations

import datetime as dt

from opd_contracts import EventType
from opd_contracts.vocabulary import MoveKind, TokenStatus
from opd_shared.access import Role

from .conftest import at


def _kinds(found: list[dict]) -> list[str]:
    return [n["kind"] for n in found]


def _sent(found: list[dict], kind: str) -> list[str]:
    return [s["channel"] for n in found if n["kind"] == kind for s in n["sends"]
            if s["status"] == "sent"]


async def _open_hall(notifier, hall, count: int):
    slot = hall.slot()
    tokens = [hall.token(slot) for _ in range(count)]
    tokens[0] = tokens[0].model_copy(update={"status": TokenStatus.CONSULTING})
    booked = hall.event(EventType.TOKEN_ALLOCATED, doctor=hall.doctor(), slots=[slot],
                        tokens=tokens)
    await notifier.publish(booked)
    return slot, tokens, booked


async def test_crossing_the_threshold_tells_each_patient_once_and_a_redelivery_tells_nobody(
    notifier, hall, standin
) -> None:
    slot, tokens, booked = await _open_hall(notifier, hall, 5)  # 09:00, 10 minutes a place
    near_now = await notifier.settled(tokens[2].id, lambda n: _sent(n, "near") == ["webhook", "sms"]
                                      or _sent(n, "near") == ["sms", "webhook"])
    fourth_before = await notifier.notifications(tokens[3].id)  # 3 ahead, 30 minutes

    done = tokens[0].model_copy(update={"status": TokenStatus.COMPLETED})
    called = tokens[1].model_copy(update={"status": TokenStatus.CONSULTING})
    finished = hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[done], slots=[slot])
    call = hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[called], slots=[slot])
    await notifier.publish(finished, call)
    fourth = await notifier.settled(tokens[3].id, lambda n: len(_sent(n, "near")) == 2)
    await notifier.publish(booked, finished, call)  # redelivered: the same event ids
    await notifier.publish(hall.event(EventType.SLOT_UPDATED, slots=[slot]))  # a later event
    await notifier.settled(tokens[4].id, lambda n: False, seconds=1.5)

    every = {t.id: await notifier.notifications(t.id) for t in tokens}
    assert _kinds(near_now) == ["near"] and fourth_before == []
    assert _kinds(fourth) == ["near"] and "2 ahead, about 20 min" in fourth[0]["text"]
    assert {i: _kinds(n) for i, n in every.items()} == {
        tokens[0].id: [], tokens[1].id: ["near", "called"], tokens[2].id: ["near"],
        tokens[3].id: ["near"], tokens[4].id: []}
    hooks = [body for _, body, _ in standin.to("/hook")]
    for token in tokens[1:4]:
        assert sum(f'"token_id":{token.id},'.encode() in body and b'"kind":"near"' in body
                   for body in hooks) == 1


async def test_a_move_tells_the_patient_again_each_time_with_the_new_time(notifier, hall
                                                                         ) -> None:
    slot, tokens, _ = await _open_hall(notifier, hall, 2)
    later, evening = hall.slot("11:00", "12:00"), hall.slot("16:00", "17:00")
    bumped = tokens[1].model_copy(update={"slot_id": later.id, "moved_from_slot_id": slot.id})
    await notifier.publish(hall.event(EventType.TOKEN_MOVED, tokens=[bumped],
                                      slots=[slot, later], move_kind=MoveKind.EMERGENCY_BUMP))
    again = bumped.model_copy(update={"slot_id": evening.id, "moved_from_slot_id": later.id})
    await notifier.publish(hall.event(EventType.TOKEN_MOVED, tokens=[again],
                                      slots=[later, evening], move_kind=MoveKind.DELAY))

    found = await notifier.settled(tokens[1].id, lambda n: _kinds(n).count("moved") == 2
                                   and all(s["status"] == "sent" for x in n for s in x["sends"]))

    moves = [n["text"] for n in found if n["kind"] == "moved"]
    assert "at 11:00" in moves[0] and "at 16:00" in moves[1]
    assert all("https://opd.example.org/t/" + tokens[1].ticket in text for text in moves)
    assert all(f"with Dr {hall.doctor_id}, room 12." in text for text in moves)


async def test_a_late_event_s_move_is_told_with_the_slot_s_time_as_stored_not_its_older_copy(
        notifier, hall) -> None:
    # A replayed event (`--fill-gaps`) carries its slot as it was then; the slot was moved
    # since (seq 3, applied first), so the table's row is newer than the event's copy, and
    # the row is what the patient is told.
    slot, tokens, _ = await _open_hall(notifier, hall, 3)  # seq 1
    later = hall.slot("11:00", "12:00")
    moved_since = later.model_copy(update={"start_time": dt.time(14), "end_time": dt.time(15)})
    into_later = [t.model_copy(update={"slot_id": later.id, "moved_from_slot_id": slot.id})
                  for t in tokens]
    await notifier.publish(hall.event(EventType.TOKEN_MOVED, tokens=[into_later[2]],
                                      slots=[slot, moved_since], move_kind=MoveKind.DELAY, seq=3))
    await notifier.settled(tokens[2].id, lambda n: "moved" in _kinds(n))  # seq 3 applied
    await notifier.publish(hall.event(EventType.TOKEN_MOVED, tokens=[into_later[1]],
                                      slots=[slot, later], move_kind=MoveKind.DELAY, seq=2))

    found = await notifier.settled(tokens[1].id, lambda n: "moved" in _kinds(n))

    moves = [n["text"] for n in found if n["kind"] == "moved"]
    assert len(moves) == 1 and "at 14:00" in moves[0], moves


async def test_a_token_whose_doctor_is_not_known_yet_is_told_without_a_name_or_room(
    notifier, hall
) -> None:
    """A doctor's events may come in any order: the token and its slot before the doctor."""
    slot = hall.slot()
    token = hall.token(slot)
    await notifier.publish(hall.event(EventType.TOKEN_ALLOCATED, slots=[slot], tokens=[token]))
    later = hall.slot("11:00", "12:00")
    moved = token.model_copy(update={"slot_id": later.id, "moved_from_slot_id": slot.id})
    await notifier.publish(hall.event(EventType.TOKEN_MOVED, tokens=[moved],
                                      slots=[slot, later], move_kind=MoveKind.DELAY))

    found = await notifier.settled(token.id, lambda n: "moved" in _kinds(n))

    move = next(n for n in found if n["kind"] == "moved")
    assert move["text"].startswith(f"Token {token.token_number.rsplit('-', 1)[-1]} moved: "
                                   "now 2030-01-15 at 11:00, room -.")


async def test_a_cancellation_is_told_once_and_a_transfer_is_told_as_a_move(notifier, hall
                                                                            ) -> None:
    _, tokens, _ = await _open_hall(notifier, hall, 3)
    cancelled = tokens[2].model_copy(update={"status": TokenStatus.CANCELLED})
    event = hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[cancelled])
    transferred = tokens[1].model_copy(update={"status": TokenStatus.CANCELLED})
    await notifier.publish(event, event, hall.event(
        EventType.TOKEN_STATUS_CHANGED, tokens=[transferred], move_kind=MoveKind.TRANSFER))

    found = await notifier.settled(cancelled.id, lambda n: "cancelled" in _kinds(n))
    await notifier.settled(transferred.id, lambda n: False, seconds=1)

    assert _kinds(found).count("cancelled") == 1
    assert "cancelled" not in _kinds(await notifier.notifications(transferred.id))


async def test_nothing_is_sent_in_quiet_hours_and_it_goes_out_when_they_end(
    start_notifier, hall, standin
) -> None:
    async with start_notifier(quiet_start="22:00", quiet_end="07:00") as quiet:
        quiet.clock.now = at("23:00")
        slot = hall.slot("22:30", "23:30")
        token = hall.token(slot)
        await quiet.publish(hall.event(EventType.TOKEN_STATUS_CHANGED, doctor=hall.doctor(),
                                       slots=[slot], tokens=[token.model_copy(
                                           update={"status": TokenStatus.CONSULTING})]))
        held = await quiet.settled(token.id, lambda n: len(n) == 1)
        await quiet.settled(token.id, lambda n: False, seconds=1)  # senders polled 20 times
        still, heard = await quiet.notifications(token.id), _hooks_about(standin, token.id)
        quiet.clock.now = at("07:01", slot.date + dt.timedelta(days=1))
        sent = await quiet.settled(token.id, lambda n: len(_sent(n, "called")) == 2)

    assert [s["status"] for s in still[0]["sends"]] == ["pending", "pending"] and heard == 0
    assert all(s["due_at"].startswith("2030-01-16T01:30") for s in held[0]["sends"])  # 07:00 IST
    assert sorted(_sent(sent, "called")) == ["sms", "webhook"]
    assert _hooks_about(standin, token.id) == 1


def _hooks_about(standin, token_id: int) -> int:
    return sum(f'"token_id":{token_id},'.encode() in body for _, body, _ in standin.to("/hook"))


async def test_a_patient_who_opts_out_is_told_nothing_more(notifier, hall, standin) -> None:
    slot, tokens, _ = await _open_hall(notifier, hall, 6)
    last = tokens[5]  # five ahead: not near yet
    await notifier.settled(tokens[1].id, lambda n: len(_sent(n, "near")) == 2)
    async with notifier.client({}) as patient:
        out = await patient.post(f"/api/v1/opt-out/{last.ticket}")
        unknown = await patient.post(f"/api/v1/opt-out/{'x' * 22}")

    done = [t.model_copy(update={"status": TokenStatus.COMPLETED}) for t in tokens[:4]]
    await notifier.publish(hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=done, slots=[slot]))
    found = await notifier.settled(last.id, lambda n: len(n) == 1)
    await notifier.settled(last.id, lambda n: False, seconds=1)

    assert (out.status_code, unknown.status_code) == (204, 404)
    assert [(s["status"], s["last_error"]) for s in found[0]["sends"]] == [
        ("skipped", "the patient opted out")] * 2
    assert _hooks_about(standin, last.id) == 0


async def test_only_desk_staff_and_admin_see_what_was_sent(notifier, infra) -> None:
    from opd_shared.access.store import KeyStore

    store = KeyStore(notifier.settings.access_database_url)
    try:
        answers = {}
        for role in Role:
            _, key = await store.create(f"test {role}", role, None, f"{role}-app")
            for _ in range(3):  # a 503 is the keys' database slow to a first connection
                answers[role.value] = (await notifier.http.get(
                    "/api/v1/notifications",
                    headers={"Authorization": f"Bearer {key}"})).status_code
                if answers[role.value] != 503:
                    break
    finally:
        await store.close()

    assert answers == {"online": 403, "partner": 403, "display": 403, "desk": 200,
                       "staff": 200, "admin": 200}


async def test_a_rebuild_from_the_history_tells_nobody_anything_twice(notifier, hall) -> None:
    from sqlalchemy import text

    slot, tokens, booked = await _open_hall(notifier, hall, 3)
    called = tokens[1].model_copy(update={"status": TokenStatus.CONSULTING})
    history = [booked, hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[called], slots=[slot])]
    await notifier.settled(tokens[1].id, lambda n: _kinds(n) == ["near"])
    await notifier.publish(history[1])
    before = await notifier.settled(tokens[1].id, lambda n: _kinds(n) == ["near", "called"])

    async with notifier.app.state.runtime.sessions.begin() as session:  # a rebuild: the read
        for table in ("applied_events", "tokens", "slots", "doctors"):  # tables emptied ...
            await session.execute(text(f"DELETE FROM {table}"))
    await notifier.publish(*history)  # ... and the allocator's history replayed
    await notifier.settled(tokens[2].id, lambda n: False, seconds=1.5)

    after = {t.id: await notifier.notifications(t.id) for t in tokens}
    assert [(n["id"], n["rule"], len(n["sends"])) for n in after[tokens[1].id]] == [
        (n["id"], n["rule"], len(n["sends"])) for n in before]
    assert [_kinds(after[t.id]) for t in tokens] == [[], ["near", "called"], ["near"]]
