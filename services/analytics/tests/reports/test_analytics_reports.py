"""Every report of a hand-built day (tests/reports/conftest.py), delivered out of order and
partly twice through the real broker, against the figures counted by hand."""

from __future__ import annotations

import datetime as dt

from .conftest import DAY

NEXT, BEFORE = DAY + dt.timedelta(days=1), DAY - dt.timedelta(days=2)
NONE = {"doctor_id": None, "specialization": None, "source": None}


def frame(start=DAY, end=DAY, **filters):
    return {"from": str(start), "to": str(end), "filters": {**NONE, **filters}}


def day_row(source, **counts):
    statuses = ("allocated", "checked_in", "consulting", "completed", "cancelled", "no_show")
    row = {"date": str(DAY), "source": source, **dict.fromkeys(statuses, 0),
           "emergencies": 0, "overflows": 0, **counts}
    return {**row, "total": sum(row[s] for s in statuses)}


def waits(metric, rows):
    return [w for w in rows["waits"] if w["metric"] == metric]


async def settled(service, hospital_day):
    a, b, delivered, distinct = hospital_day
    await service.publish(*delivered)
    await service.eventually(service.facts, lambda n: n >= distinct)
    return a, b, distinct


async def test_tokens_utilisation_and_moves_of_the_day(start_analytics, hospital_day):
    async with start_analytics() as service:
        a, b, distinct = await settled(service, hospital_day)
        facts = await service.facts()
        tokens = (await service.get(f"/tokens?from={DAY}")).json()
        use = (await service.get(f"/utilisation?from={DAY}&to={NEXT}")).json()
        moves = (await service.get(f"/moves?from={DAY}")).json()

    assert facts == distinct
    assert tokens == {**frame(), "total": 9, "emergencies": 2, "overflows": 1,
                      "by_status": {"allocated": 3, "checked_in": 0, "consulting": 0,
                                    "completed": 4, "cancelled": 1, "no_show": 1},
                      "by_source": {"priority": 2, "follow_up": 1, "online": 2, "walk_in": 4},
                      "no_show_rate": 11.11, "cancellation_rate": 11.11, "days": [
                          day_row("follow_up", cancelled=1), day_row("online", completed=2),
                          day_row("priority", completed=1, allocated=1, emergencies=2,
                                  overflows=1),
                          day_row("walk_in", completed=1, no_show=1, allocated=2)]}
    assert use == {**frame(DAY, NEXT), "slots": 4, "capacity": 13, "held": 8,
                   "utilisation": 61.54, "doctors": [
                       {"doctor_id": a.id, "doctor_name": a.name, "specialization": "Cardiology",
                        "slots": 2, "capacity": 8, "held": 4, "utilisation": 50.0},
                       {"doctor_id": b.id, "doctor_name": b.name,
                        "specialization": "Orthopaedics",
                        "slots": 2, "capacity": 5, "held": 4, "utilisation": 80.0}],
                   "days": [{"date": str(DAY), "slots": 3, "capacity": 8, "held": 7,
                             "utilisation": 87.5},
                            {"date": str(NEXT), "slots": 1, "capacity": 5, "held": 1,
                             "utilisation": 20.0}]}
    assert moves == {**frame(), "moves": 3, "kinds": [
        {"kind": "doctor_delay", "moves": 1, "tokens": 1, "mean_minutes": 1440.0,
         "max_minutes": 1440, "to_later_day": 1},
        {"kind": "emergency_bump", "moves": 1, "tokens": 1, "mean_minutes": 180.0,
         "max_minutes": 180, "to_later_day": 0},
        {"kind": "fairness", "moves": 0, "tokens": 0, "mean_minutes": None,
         "max_minutes": None, "to_later_day": 0},
        {"kind": "reallocation", "moves": 1, "tokens": 1, "mean_minutes": 180.0,
         "max_minutes": 180, "to_later_day": 0},
        {"kind": "transfer", "moves": 0, "tokens": 0, "mean_minutes": None,
         "max_minutes": None, "to_later_day": 0}]}


async def test_waits_and_arrivals_of_the_day(start_analytics, hospital_day):
    async with start_analytics() as service:
        a, _, _ = await settled(service, hospital_day)
        day = (await service.get(f"/waits?from={DAY}")).json()
        two_days = (await service.get(f"/waits?from={DAY}&to={NEXT}")).json()
        of_a = (await service.get(f"/waits?from={DAY}&doctor_id={a.id}")).json()
        cardiology = (await service.get(f"/waits?from={DAY}&specialization=Cardiology")).json()
        arrivals = (await service.get(f"/arrivals?from={BEFORE}&to={DAY}")).json()

    # seen on the day: t1, t2, t3 (doctor A) and t7 (doctor B); t2 was booked two days ahead
    figures = {w["metric"]: (w["tokens"], w["median_minutes"], w["p90_minutes"])
               for w in day["waits"] if w["source"] == "all"}
    # t2's lead times (36 h 50 min and 37 h 5 min) count as whole days: 1440 minutes
    assert figures == {"booked_to_check_in": (4, 20.0, 1018.5),
                       "check_in_to_start": (4, 20.0, 25.0),
                       "booked_to_start": (4, 45.0, 1026.0),
                       "consultation": (4, 13.5, 25.5)}
    walk_in = next(w for w in waits("check_in_to_start", day) if w["source"] == "walk_in")
    assert (walk_in["tokens"], walk_in["median_minutes"]) == (1, 25.0)
    # t6 checked in 5 minutes after booking, and counts on tomorrow, where it was moved
    assert waits("booked_to_check_in", two_days)[0]["tokens"] == 5
    assert waits("check_in_to_start", of_a)[0] == {
        "metric": "check_in_to_start", "source": "all", "tokens": 3,
        "median_minutes": 15.0, "p90_minutes": 23.0}
    assert cardiology["waits"] == of_a["waits"]
    hours = {h["hour"]: h for h in arrivals["hours"] if h["total"]}
    assert (arrivals["total"], arrivals["peak_hour"]) == (10, 8)
    assert {hour: h["total"] for hour, h in hours.items()} == {8: 4, 9: 2, 10: 3, 20: 1}
    assert (hours[8]["walk_in"], hours[8]["follow_up"], hours[20]["online"]) == (3, 1, 1)


async def test_filters_narrow_every_report(start_analytics, hospital_day):
    async with start_analytics() as service:
        _, b, _ = await settled(service, hospital_day)
        walk_ins = (await service.get(f"/tokens?from={DAY}&source=walk_in")).json()
        walk_in_use = (await service.get(f"/utilisation?from={DAY}&source=walk_in")).json()
        orthopaedics = (await service.get(
            f"/moves?from={DAY}&specialization=Orthopaedics")).json()
        of_b = (await service.get(f"/arrivals?from={DAY}&doctor_id={b.id}")).json()

    assert (walk_ins["total"], walk_ins["by_source"]["walk_in"], walk_ins["filters"]) == (
        4, 4, {**NONE, "source": "walk_in"})
    assert (walk_in_use["held"], walk_in_use["capacity"], walk_in_use["utilisation"]) == (
        3, 8, 37.5)
    assert [k["moves"] for k in orthopaedics["kinds"]] == [0, 1, 0, 1, 0]
    assert (of_b["total"], of_b["peak_hour"]) == (4, 10)
