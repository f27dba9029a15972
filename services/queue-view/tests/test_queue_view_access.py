"""Who may read what, on a deployment whose reads need a key: any key reads the queues,
only keys that may read patients (desk, staff, admin) see names, phones and notes, only
admin keys see /api/v1/admin, and no key at all is a 401."""

from __future__ import annotations

import pytest

from opd_contracts import EventType
from opd_shared.access import Role

READS = ["/api/v1/doctors", "/api/v1/doctors/1", "/api/v1/doctors/1/day/2030-01-15",
         "/api/v1/slots", "/api/v1/slots/1", "/api/v1/slots/1/queue", "/api/v1/tokens/1",
         "/api/v1/tokens/number/DOC1-20300115-0001",
         "/api/v1/tokens/number/DOC1-20300115-0001/position",
         "/api/v1/display/stream?doctors=1", "/api/v1/admin/progress"]


async def _booked(service, events, channel: str | None = None):
    """A doctor with one slot and one patient whose name, phone and notes are known:
    the token's two paths, then two boards that show it."""
    slot = events.slot()
    token = events.token(slot, patient_name="Meera Iyer", patient_phone="+91 98765 00000",
                         notes="came with her son Ravi", channel=channel)
    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()))
    await service.publish(events.event(EventType.TOKEN_ALLOCATED, slots=[slot], tokens=[token]))
    await service.wait_applied(events.doctor_id, 2)
    return [f"/api/v1/tokens/{token.id}", f"/api/v1/tokens/number/{token.token_number}",
            f"/api/v1/slots/{slot.id}/queue", f"/api/v1/doctors/{events.doctor_id}/day/"
            f"{slot.date.isoformat()}"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-key"},
                                     {"Authorization": "Basic abc"}])
async def test_every_read_without_a_valid_key_is_401(service, headers) -> None:
    async with service.client(headers) as anonymous:
        answers = [await anonymous.get(path) for path in READS]
        page, alive = await anonymous.get("/display"), await anonymous.get("/healthz")

    assert [a.status_code for a in answers] == [401] * len(READS)
    assert {a.json()["code"] for a in answers} == {"unauthorized"}
    assert answers[0].headers["WWW-Authenticate"] == "Bearer"
    assert (page.status_code, alive.status_code) == (200, 200)  # no data in either


async def test_a_desk_key_sees_patients_names_phones_and_notes(service, events) -> None:
    paths = await _booked(service, events)
    desk = await service.key(Role.DESK)

    async with service.client(desk) as client:
        answers = [await client.get(path) for path in paths]

    assert [a.status_code for a in answers] == [200] * len(paths)
    for answer in answers:
        assert "Meera Iyer" in answer.text and "98765" in answer.text and "Ravi" in answer.text


async def test_an_online_key_reads_the_queues_with_names_phones_and_notes_null(
    service, events
) -> None:
    boards = (await _booked(service, events))[2:]
    online = await service.key(Role.ONLINE)

    async with service.client(online) as client:
        answers = [await client.get(path) for path in boards]

    assert [a.status_code for a in answers] == [200] * len(boards)
    for answer in answers:
        assert "Meera" not in answer.text and "98765" not in answer.text
        assert "Ravi" not in answer.text
    assert [entry["patient_name"] for entry in answers[0].json()] == [None]


@pytest.mark.parametrize("role", [Role.ONLINE, Role.PARTNER])
async def test_a_channel_key_reads_its_own_patient_and_finds_no_other_channels_token(
    service, events, role
) -> None:
    paths = (await _booked(service, events, channel="web-app"))[:2]
    own = await service.key(role, channel="web-app")
    other = await service.key(role, channel="partner-portal")

    async with service.client(own) as client:
        mine = [await client.get(path) for path in paths]
    async with service.client(other) as client:
        theirs = [await client.get(path) for path in [*paths, f"{paths[1]}/position"]]
        missing = await client.get("/api/v1/tokens/999999999")

    assert [a.status_code for a in mine] == [200, 200]
    assert mine[0].json()["patient_name"] == "Meera Iyer"
    assert [a.status_code for a in theirs] == [404, 404, 404]
    assert [a for a in theirs if "Meera" in a.text or "98765" in a.text] == []
    assert theirs[0].json()["detail"].replace(paths[0].rsplit("/", 1)[1], "N") == \
        missing.json()["detail"].replace("999999999", "N")  # no hint that it exists


async def test_a_display_key_reads_boards_and_nothing_else(service, events) -> None:
    paths = await _booked(service, events)
    display = await service.key(Role.DISPLAY)

    async with service.client(display) as client:
        tokens = [await client.get(path) for path in paths[:2]]
        boards = [await client.get(path) for path in paths[2:]]
        admin = await client.get("/api/v1/admin/progress")

    assert [a.status_code for a in boards] == [200, 200]
    assert [entry["patient_name"] for entry in boards[0].json()] == [None]
    assert [a.status_code for a in [*tokens, admin]] == [403, 403, 403]


@pytest.mark.parametrize("role", [Role.ONLINE, Role.PARTNER, Role.DESK, Role.STAFF, Role.DISPLAY])
async def test_admin_endpoints_are_403_for_every_role_but_admin(service, role) -> None:
    headers = await service.key(role)

    async with service.client(headers) as client:
        refused = await client.get("/api/v1/admin/progress")
    allowed = await service.http.get("/api/v1/admin/progress")  # the admin key

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert allowed.status_code == 200


@pytest.mark.usefixtures("counts_in_one_minute")
async def test_a_key_over_its_rate_is_429_with_retry_after_and_each_request_counts_once(
    service, events
) -> None:
    paths = await _booked(service, events)  # routes that ask who calls twice, through deps
    headers = await service.key(Role.DESK, rate_per_minute=2)

    async with service.client(headers) as client:
        answers = [await client.get(paths[0]) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) >= 1
