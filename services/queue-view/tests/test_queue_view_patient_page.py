"""The patient's live page: no key, an unguessable ticket, never a name, live by SSE."""

from __future__ import annotations

import datetime as dt
import json
import secrets

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus

NAME, PHONE = "Meera Iyer", "+91 98765 43210"


async def _booked(service, events, **mine):
    slot = events.slot(start_time=dt.time(9), end_time=dt.time(10), max_capacity=6)
    ticket = secrets.token_urlsafe(16)
    first = events.token(slot, status=TokenStatus.CONSULTING)
    token = events.token(slot, patient_name=NAME, patient_phone=PHONE, ticket=ticket, **mine)
    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()),
                          events.event(EventType.TOKEN_ALLOCATED, slots=[slot],
                                       tokens=[first, token]))
    await service.wait_applied(events.doctor_id, 2)
    return slot, token, ticket


async def test_the_page_shows_place_wait_doctor_and_room_without_a_key_or_a_name(
    service, events
) -> None:
    _, token, ticket = await _booked(service, events)

    async with service.client({}) as anonymous:
        page = await anonymous.get(f"/t/{ticket}")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert token.token_number in html and f"Dr {events.doctor_id}" in html and "R1" in html
    assert 'data-field="position">2<' in html and 'data-field="ahead">1<' in html
    assert 'data-field="wait">10 min<' in html  # one ahead at 10 minutes a place
    assert NAME not in html and "Meera" not in html and "98765" not in html
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither


async def test_a_made_up_or_malformed_ticket_is_404_and_a_token_number_is_no_ticket(
    service, events
) -> None:
    _, token, _ = await _booked(service, events)

    async with service.client({}) as anonymous:
        answers = [await anonymous.get(f"/t/{ticket}") for ticket in (
            secrets.token_urlsafe(16), "x", "a" * 200, token.token_number, str(token.id),
            "%27%20OR%201=1--aaaaaaaaaaaa")]
        stream = await anonymous.get(f"/t/{secrets.token_urlsafe(16)}/events")

    assert [a.status_code for a in answers] == [404] * 6 and stream.status_code == 404


async def test_the_page_speaks_hindi_and_tamil_with_locale_formats(service, events) -> None:
    _, _, ticket = await _booked(service, events)

    async with service.client({}) as anonymous:
        hindi = (await anonymous.get(f"/t/{ticket}?lang=hi")).text
        tamil = (await anonymous.get(f"/t/{ticket}?lang=ta")).text
        unknown = (await anonymous.get(f"/t/{ticket}?lang=xx")).text

    assert '<html lang="hi">' in hindi and "आपका टोकन" in hindi and "10 मिनट" in hindi
    assert '<html lang="ta">' in tamil and "உங்கள் டோக்கன்" in tamil
    assert '<html lang="en">' in unknown and "Your token" in unknown


async def test_the_events_follow_the_token_until_it_is_called(service, events) -> None:
    _, token, ticket = await _booked(service, events)
    before = await _status(service, ticket)

    called = token.model_copy(update={"status": TokenStatus.CONSULTING,
                                      "consultation_started_at": dt.datetime.now(dt.UTC)})
    await service.publish(events.event(EventType.TOKEN_STATUS_CHANGED, tokens=[called]))
    await service.wait_applied(events.doctor_id, 3)
    after = await _status(service, ticket)

    assert (before["state"], before["position"]) == ("allocated", "2")
    assert after["state"] == "consulting" and "room R1" in after["status"]
    assert NAME not in json.dumps(before | after, ensure_ascii=False)


async def _status(service, ticket: str) -> dict[str, str]:
    """The one message an EventSource would get first (without Accept: text/event-stream
    the stream sends the current status and ends)."""
    async with service.client({}) as anonymous:
        answer = await anonymous.get(f"/t/{ticket}/events")
    assert answer.status_code == 200
    data = next(line for line in answer.text.splitlines() if line.startswith("data:"))
    return json.loads(data.removeprefix("data:").strip())
