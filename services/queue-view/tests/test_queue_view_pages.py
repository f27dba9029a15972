"""Every list of queue-view comes a page at a time (opd_shared.pages): walking the pages by
their `Link: rel="next"` serves every item once, even while items are added between pages,
and a cursor that is not one the list gave out is a clear 400 that changes nothing."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from opd_contracts import EventType
from opd_contracts.vocabulary import Source, TokenStatus
from opd_shared.access import Role

LIMIT = 3


async def walk(http: httpx.AsyncClient, url: str, between=None) -> list[dict]:
    """Every item of every page, following rel="next"; `between()` runs after each page."""
    items: list[dict] = []
    answer = await http.get(httpx.URL(url).copy_merge_params({"limit": LIMIT}))
    while True:
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page) <= LIMIT
        items += page
        following = answer.links.get("next")
        if following is None:
            return items
        assert len(page) == LIMIT  # only a full page has a next one
        if between is not None:
            await between()
        answer = await http.get(following["url"])


def ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


async def test_walking_the_slots_serves_each_once_while_slots_are_added_between_pages(
        service, events):
    first = dt.date(2031, 3, 1)
    slots = [events.slot(date=first + dt.timedelta(days=n // 2),
                         start_time=dt.time(9 + n % 2), end_time=dt.time(10 + n % 2))
             for n in range(8)]
    await service.publish(events.event(EventType.SLOT_OPENED, slots=slots))
    await service.wait_applied(events.doctor_id, 1)
    later = iter([events.slot(date=first + dt.timedelta(days=30 + n)) for n in range(5)])
    earlier = iter([events.slot(date=first - dt.timedelta(days=1 + n)) for n in range(5)])
    added: list[int] = []

    async def add_one_after_and_one_before_the_cursor() -> None:
        extra = [next(later), next(earlier)]
        added.append(extra[0].id)
        await service.publish(events.event(EventType.SLOT_OPENED, slots=extra))
        await service.wait_applied(events.doctor_id, 1 + len(added))

    served = await walk(service.http, f"/api/v1/slots?doctor_id={events.doctor_id}",
                        add_one_after_and_one_before_the_cursor)

    assert len(ids(served)) == len(set(ids(served)))
    assert set(ids(served)) >= {s.id for s in slots} | set(added)
    assert [(s["date"], s["start_time"], s["id"]) for s in served] == sorted(
        (s["date"], s["start_time"], s["id"]) for s in served)
    whole = await service.http.get("/api/v1/slots", params={
        "doctor_id": events.doctor_id, "limit": 1000})
    assert len(whole.json()) == len(slots) + 2 * len(added) and "link" not in whole.headers


async def test_walking_a_queue_serves_each_patient_once_in_order_while_patients_arrive(
        service, events):
    slot = events.slot(max_capacity=40)
    waiting = [events.token(slot, source) for source in
               [Source.WALK_IN, Source.ONLINE, Source.PRIORITY, Source.FOLLOW_UP] * 2]
    consulting = events.token(slot, status=TokenStatus.CONSULTING)
    await service.publish(events.event(EventType.SLOT_OPENED, slots=[slot]))
    await service.publish(events.event(EventType.TOKEN_ALLOCATED,
                                       tokens=[*waiting, consulting]))
    await service.wait_applied(events.doctor_id, 2)
    arrivals = iter([events.token(slot, Source.WALK_IN) for _ in range(4)])
    arrived: list[int] = []

    async def a_walk_in_arrives() -> None:  # last in the queue: after any cursor
        token = next(arrivals)
        arrived.append(token.id)
        await service.publish(events.event(EventType.TOKEN_ALLOCATED, tokens=[token]))
        await service.wait_applied(events.doctor_id, 2 + len(arrived))

    served = await walk(service.http, f"/api/v1/slots/{slot.id}/queue", a_walk_in_arrives)

    assert ids(served)[0] == consulting.id
    assert len(ids(served)) == len(set(ids(served)))
    assert set(ids(served)) == {t.id for t in [*waiting, consulting]} | set(arrived)
    whole = (await service.http.get(f"/api/v1/slots/{slot.id}/queue?limit=1000")).json()
    assert ids(served) == ids(whole)  # the same order, and positions count the whole queue
    assert [e["position"] for e in served] == list(range(1, len(served) + 1))


async def test_walking_the_doctors_serves_each_once_while_doctors_register(
        service, another_doctor):
    doctors = [another_doctor() for _ in range(7)]
    for d in doctors:
        await service.publish(d.event(EventType.DOCTOR_REGISTERED, doctor=d.doctor()))
    for d in doctors:
        await service.wait_applied(d.doctor_id, 1)
    newcomers = iter([another_doctor() for _ in range(4)])

    async def a_doctor_registers() -> None:  # a higher id than any: after every cursor
        d = next(newcomers)
        await service.publish(d.event(EventType.DOCTOR_REGISTERED, doctor=d.doctor()))
        await service.wait_applied(d.doctor_id, 1)

    served = await walk(service.http, "/api/v1/doctors", a_doctor_registers)

    assert len(ids(served)) == len(set(ids(served))) and ids(served) == sorted(ids(served))
    assert set(ids(served)) >= {d.doctor_id for d in doctors}


async def test_walking_a_days_tokens_serves_each_once_by_id_and_a_channel_only_its_own(
        service, events):
    slot, later = events.slot(max_capacity=40), events.slot(start_time=dt.time(11),
                                                             end_time=dt.time(12))
    tokens = [events.token(s, channel="web-app" if n % 2 else None)
              for n, s in enumerate([slot, later] * 4)]
    await service.publish(events.event(EventType.SLOT_OPENED, slots=[slot, later]))
    await service.publish(events.event(EventType.TOKEN_ALLOCATED, tokens=tokens))
    await service.wait_applied(events.doctor_id, 2)
    arrivals = iter([events.token(slot, channel="web-app") for _ in range(4)])
    arrived: list[int] = []

    async def a_patient_books() -> None:  # a higher id than any: after every cursor
        token = next(arrivals)
        arrived.append(token.id)
        await service.publish(events.event(EventType.TOKEN_ALLOCATED, tokens=[token]))
        await service.wait_applied(events.doctor_id, 2 + len(arrived))

    day = f"/api/v1/tokens?date={slot.date}&doctor_id={events.doctor_id}"
    served = await walk(service.http, day, a_patient_books)
    async with service.client(await service.key(Role.ONLINE, channel="web-app")) as app:
        own = await walk(app, day)

    assert ids(served) == [t.id for t in tokens] + arrived  # each once, by id
    web = [t.id for t in tokens if t.channel == "web-app"] + arrived
    assert ids(own) == web and None not in {t["patient_name"] for t in own}  # its own


async def test_a_cursor_of_another_list_is_refused_by_the_days_tokens(service, events):
    slot = events.slot()
    await service.publish(events.event(EventType.SLOT_OPENED, slots=[slot]))
    await service.wait_applied(events.doctor_id, 1)
    slots_cursor = "eyJsaXN0Ijoic2xvdHMiLCJhZnRlciI6WzFdfQ"  # {"list": "slots", ...}

    answer = await service.http.get("/api/v1/tokens", params={
        "date": str(slot.date), "cursor": slots_cursor})

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("cursor: not a cursor of tokens")


@pytest.mark.parametrize("cursor", [
    "not-a-cursor", "e30", "eyJsaXN0IjoiZG9jdG9ycyIsImFmdGVyIjpbMV19",  # {} ; doctors' [1]
    "eyJsaXN0Ijoic2xvdHMiLCJhZnRlciI6WyJ4IiwieSIsMV19",  # slots, ["x", "y", 1]: no date
    "eyJsaXN0Ijoic2xvdHMiLCJhZnRlciI6WzFdfQ"])  # slots with a doctors' key
async def test_a_cursor_the_list_did_not_give_out_is_a_clear_400(service, cursor):
    answer = await service.http.get("/api/v1/slots", params={"cursor": cursor})

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "bad_request"
    assert answer.json()["detail"].startswith("cursor: not a cursor of slots")


async def test_a_page_of_another_list_or_slot_is_refused_and_limits_are_bounded(
        service, events):
    slot = events.slot()
    await service.publish(events.event(EventType.SLOT_OPENED, slots=[slot]))
    await service.publish(events.event(EventType.TOKEN_ALLOCATED, tokens=[
        events.token(slot), events.token(slot)]))
    await service.wait_applied(events.doctor_id, 2)
    first = await service.http.get(f"/api/v1/slots/{slot.id}/queue", params={"limit": 1})
    cursor = httpx.URL(first.links["next"]["url"]).params["cursor"]

    other_slot = await service.http.get(f"/api/v1/slots/{slot.id + 1}/queue",
                                        params={"cursor": cursor})
    other_list = await service.http.get("/api/v1/doctors", params={"cursor": cursor})
    too_many = await service.http.get("/api/v1/doctors", params={"limit": 1001})
    none = await service.http.get("/api/v1/doctors", params={"limit": 0})

    assert (other_slot.status_code, other_list.status_code) == (400, 400)
    assert (too_many.status_code, none.status_code) == (422, 422)
    assert first.headers["link"].startswith(f"</api/v1/slots/{slot.id}/queue?")
