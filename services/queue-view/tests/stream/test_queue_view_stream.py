"""The display stream over real HTTP: boards on connect, one message per change, never a
name, a display resuming on another process with `Last-Event-ID` gets exactly what
changed meanwhile, and a revoked key's stream ends."""

from __future__ import annotations

import asyncio
import json

import httpx

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from opd_shared.access import Role
from opd_shared.access.store import KeyStore

DAY = "2030-01-15"  # the event factory's day


async def _doctor_with_queue(displays, events, **doctor) -> tuple:
    """A doctor with one slot and one waiting patient, applied."""
    slot = events.slot()
    token = events.token(slot, patient_name="Anita Desai")
    await displays.publish(events.event(EventType.DOCTOR_REGISTERED,
                                        doctor=events.doctor(**doctor)))
    await displays.publish(events.event(EventType.TOKEN_ALLOCATED, slots=[slot], tokens=[token]))
    await displays.applied(events.doctor_id, 2)
    return slot, token


def _boards(message) -> dict[int, dict]:
    assert message is not None, "no boards message came"
    return {board["doctor_id"]: board for board in json.loads(message.data)["boards"]}


async def test_a_display_gets_its_boards_then_one_message_per_change_and_never_a_name(
    displays, events, another_doctor
) -> None:
    other = another_doctor()
    _slot, token = await _doctor_with_queue(displays, events, room="7")
    await _doctor_with_queue(displays, other)
    query = f"doctors={events.doctor_id},{other.doctor_id}"

    async with displays.open(0, query) as stream:
        first = await stream.next()
        called = token.model_copy(update={"status": TokenStatus.CONSULTING})
        await displays.publish(events.event(EventType.TOKEN_STATUS_CHANGED, tokens=[called]))
        second = await stream.next()

    assert set(_boards(first)) == {events.doctor_id, other.doctor_id}
    assert _boards(first)[events.doctor_id]["consulting"] is None
    changed = _boards(second)
    assert list(changed) == [events.doctor_id]
    assert changed[events.doctor_id]["consulting"]["token_number"] == token.token_number
    assert changed[events.doctor_id]["room"] == "7"
    assert "Anita" not in first.data + second.data


async def test_a_display_resuming_on_another_process_gets_exactly_what_changed_meanwhile(
    displays, events, another_doctor
) -> None:
    other = another_doctor()
    await _doctor_with_queue(displays, events)
    other_slot, _ = await _doctor_with_queue(displays, other)
    query = f"doctors={events.doctor_id},{other.doctor_id}"
    async with displays.open(0, query) as stream:
        seen = await stream.next()
    assert seen is not None and seen.id is not None

    late = other.token(other_slot, is_emergency=True)
    await displays.publish(other.event(EventType.TOKEN_ALLOCATED, tokens=[late]))
    await displays.applied(other.doctor_id, 3)
    async with displays.open(1, query, last_event_id=seen.id) as stream:
        resumed = await stream.next()
    async with displays.open(1, query, last_event_id=resumed.id if resumed else None) as stream:
        idle = await stream.next(seconds=1.5)
        ping = await stream.next("ping", seconds=2)

    assert list(_boards(resumed)) == [other.doctor_id]
    first_in_line = _boards(resumed)[other.doctor_id]["next"][0]
    assert (first_in_line["token_number"], first_in_line["is_emergency"]) == (
        late.token_number, True)
    assert idle is None  # nothing changed since that id: nothing is sent again
    assert ping is not None


async def test_a_display_by_specialization_shows_only_that_departments_doctors(
    displays, events, another_doctor
) -> None:
    ent, cardiology = events, another_doctor()
    await _doctor_with_queue(displays, ent, specialization="ENT")
    await _doctor_with_queue(displays, cardiology)

    async with displays.open(1, "specialization=ent") as stream:
        first = await stream.next()

    assert ent.doctor_id in _boards(first)
    assert cardiology.doctor_id not in _boards(first)


async def test_a_client_that_does_not_ask_for_a_stream_gets_one_snapshot_and_the_end(
    displays, events
) -> None:
    await _doctor_with_queue(displays, events)
    key = {"Authorization": displays.headers["Authorization"]}  # and no Accept header

    async with httpx.AsyncClient(base_url=displays.urls[0], headers=key, timeout=5) as client:
        response = await client.get(f"/api/v1/display/stream?doctors={events.doctor_id}"
                                    f"&date={DAY}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.count("event: boards") == 1
    assert str(events.doctor_id) in response.text


async def test_a_display_whose_key_is_revoked_is_cut_off_and_cannot_come_back(
    displays, events
) -> None:
    _slot, token = await _doctor_with_queue(displays, events)
    keys = KeyStore(displays.runtime.settings.access_database_url)
    record, key = await keys.create("hall 2 screen", Role.ONLINE)
    try:
        async with displays.open(0, f"doctors={events.doctor_id}", key=key) as stream:
            admitted = await stream.next()
            await keys.revoke(record.id)
            # Board changes wake the stream; the server's key cache lets go within 5 s.
            for _ in range(30):
                if stream.ended:
                    break
                await displays.publish(events.event(EventType.TOKEN_STATUS_CHANGED,
                                                    tokens=[token]))
                await asyncio.sleep(0.5)
            ended = stream.ended
        async with httpx.AsyncClient(base_url=displays.urls[0], timeout=5) as client:
            again = await client.get(f"/api/v1/display/stream?doctors={events.doctor_id}",
                                     headers={"Authorization": f"Bearer {key}"})
    finally:
        await keys.close()

    assert admitted is not None
    assert ended, "the stream outlived its key"
    assert again.status_code == 401
