"""End to end on the real broker and database: a hand-built history of events, published out
of order and with redeliveries, must add up to figures counted by hand."""

from __future__ import annotations

import datetime as dt

from opd_contracts.vocabulary import Source, TokenStatus

# 20:00 UTC on the 30th is 01:30 on the 31st in Asia/Kolkata: "today" is the hospital's day.
CLOCK = dt.datetime(2026, 1, 30, 20, 0, tzinfo=dt.UTC)
DAY, NEXT, UTC_DAY = dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 1, 30)
S, ST = Source, TokenStatus


def counts(words, **given: int) -> dict[str, int]:
    return {word.value: given.get(word.value, 0) for word in words}


def doctor_a(history):
    """Active; a full slot today with a completion, a no-show and an overflowing emergency."""
    a = history()
    s1, s2 = a.slot(DAY, capacity=3), a.slot(NEXT, capacity=2)
    t1, t2 = a.token(s1, S.ONLINE), a.token(s1, S.WALK_IN)
    t3 = a.token(s1, S.PRIORITY, is_emergency=True)
    t4 = a.token(s1, S.PRIORITY, is_emergency=True, is_overflow=True)
    t5 = a.token(s2, S.FOLLOW_UP)
    e = [None, a.registered(), a.opened(s1), a.opened(s2),
         a.allocated(t1, a.held(s1, 1)), a.allocated(t2, a.held(s1, 2)),
         a.allocated(t3, a.held(s1, 3))]
    t1, checked_in = a.changed(t1, ST.CHECKED_IN)
    t1, consulting = a.changed(t1, ST.CONSULTING)
    _, completed = a.changed(t1, ST.COMPLETED)
    e += [checked_in, consulting, completed, a.allocated(t4, a.held(s1, 4, overflow=1))]
    e += [a.changed(t2, ST.NO_SHOW, a.held(s1, 3, overflow=1))[1], a.allocated(t5, a.held(s2, 1))]
    # seq 11 (t2's no-show) before seq 5 (its allocation); seq 6 twice; seq 7 again, late
    order = [1, 2, 3, 4, 11, 5, 6, 6, 7, 8, 9, 10, 12, 7]
    return a, s1, [e[seq] for seq in order]


def doctor_b(history):
    """Inactive; one token today, cancelled, its cancellation arriving before its allocation."""
    b = history(is_active=False)
    s3 = b.slot(DAY, capacity=2)
    t6 = b.token(s3, S.WALK_IN)
    allocated = b.allocated(t6, b.held(s3, 1))
    _, cancelled = b.changed(t6, ST.CANCELLED, b.held(s3, 0))
    return b, [b.registered(), b.opened(s3), cancelled, allocated]


def doctor_c(history):
    """Active; a slot on the UTC date, which is yesterday in the hospital."""
    c = history()
    s4 = c.slot(UTC_DAY, capacity=5)
    return s4, [c.registered(), c.opened(s4), c.allocated(c.token(s4, S.ONLINE), c.held(s4, 1))]


async def test_a_day_of_events_adds_up_to_the_figures_counted_by_hand(start_analytics, history):
    a, s1, a_events = doctor_a(history)
    b, b_events = doctor_b(history)
    s4, c_events = doctor_c(history)

    # One event at a time, so that once the last one shows, everything before it has been applied.
    async with start_analytics(clock=lambda: CLOCK, batch_max=1) as service:
        await service.publish(*a_events, *b_events, *c_events)
        await service.eventually(lambda: service.get(f"/slots/{s4.id}"),
                                 lambda r: r.status_code == 200 and r.json()["current_count"] == 1)
        facts = await service.facts()
        today = (await service.get("/system/status")).json()
        explicit = (await service.get(f"/system/status?date={DAY}")).json()
        next_day = (await service.get(f"/system/status?date={NEXT}")).json()
        utc_day = (await service.get(f"/system/status?date={UTC_DAY}")).json()
        slot = (await service.get(f"/slots/{s1.id}")).json()
        a_day = (await service.get(f"/doctors/{a.doctor.id}/day/{DAY}")).json()
        a_next = (await service.get(f"/doctors/{a.doctor.id}/day/{NEXT}")).json()
        b_day = (await service.get(f"/doctors/{b.doctor.id}/day/{DAY}")).json()

    assert facts == 12 + 4 + 3  # 21 messages, 19 distinct events
    assert today == explicit == {
        "date": str(DAY), "total_doctors": 3, "active_doctors": 2,
        "total_slots_today": 2, "total_tokens_today": 5,
        "tokens_by_status": counts(ST, allocated=2, completed=1, no_show=1, cancelled=1),
        "tokens_by_source": counts(S, priority=2, online=1, walk_in=2),
    }
    assert (next_day["total_slots_today"], next_day["tokens_by_source"]) == (
        1, counts(S, follow_up=1))
    assert (utc_day["total_slots_today"], utc_day["tokens_by_source"]) == (
        1, counts(S, online=1))
    assert slot == {
        "slot_id": s1.id, "doctor_id": a.doctor.id, "doctor_name": a.doctor.name,
        "date": str(DAY), "start_time": "09:00", "end_time": "10:00", "is_active": True,
        "total_capacity": 3, "allocated_tokens": 3, "max_capacity": 3, "current_count": 3,
        "available_capacity": 0, "utilization_percentage": 100.0, "overflow_count": 1,
        "emergencies": 2,
        "tokens_by_status": counts(ST, allocated=2, completed=1, no_show=1),
        "tokens_by_source": counts(S, priority=2, online=1, walk_in=1),
    }
    assert a_day == {
        "doctor_id": a.doctor.id, "doctor_name": a.doctor.name, "date": str(DAY),
        "total_slots": 1, "total_capacity": 3, "total_allocated": 4, "total_completed": 1,
        "total_cancelled": 0, "total_no_shows": 1, "emergencies": 2,
        "average_utilization": 100.0,
        "tokens_by_status": counts(ST, allocated=2, completed=1, no_show=1),
        "tokens_by_source": counts(S, priority=2, online=1, walk_in=1),
    }
    assert (a_next["total_capacity"], a_next["total_allocated"], a_next["average_utilization"]) == (
        2, 1, 50.0)
    assert (b_day["total_allocated"], b_day["total_cancelled"], b_day["average_utilization"]) == (
        1, 1, 0.0)


async def test_unknown_slots_and_doctors_are_404_with_a_code(start_analytics, history):
    known = history()
    unknown = history()  # never published
    slot = unknown.slot(DAY, capacity=1)

    async with start_analytics() as service:
        await service.publish(known.registered())
        await service.eventually(lambda: service.get(f"/doctors/{known.doctor.id}/day/{DAY}"),
                                 lambda r: r.status_code == 200)
        no_slot = await service.get(f"/slots/{slot.id}")
        no_doctor = await service.get(f"/doctors/{unknown.doctor.id}/day/{DAY}")
        empty_day = await service.get(f"/doctors/{known.doctor.id}/day/{DAY}")

    assert (no_slot.status_code, no_slot.json()["detail"], no_slot.json()["code"]) == (
        404, f"Slot {slot.id} not found", "not_found")
    assert (no_doctor.status_code, no_doctor.json()["detail"], no_doctor.json()["code"]) == (
        404, f"Doctor {unknown.doctor.id} not found", "not_found")
    assert (empty_day.json()["total_slots"], empty_day.json()["average_utilization"]) == (0, 0.0)


async def test_malformed_ids_and_dates_are_422_not_500(start_analytics):
    async with start_analytics() as service:
        answers = [
            await service.get(f"/slots/{2**63}"),
            await service.get("/slots/0"),
            await service.get("/doctors/1/day/2026-02-30"),
            await service.get("/system/status?date=tomorrow"),
        ]

    assert [answer.status_code for answer in answers] == [422, 422, 422, 422]
