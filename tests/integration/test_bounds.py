"""Input bounds are one truth: what the gateway lets in always fits where it is stored.

A phone pattern that allowed 21 characters into a 20-character column once passed the
gateway, failed at commit, was retried and dead-lettered, and its caller saw 202 for ever.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from opd_contracts import bounds, commands

from .conftest import FAR_DAY, eventually, new_phone

INT_MAX = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}
# Bounded columns that no request fills: the allocator makes them up, or they are enums.
INTERNAL = {"token_number", "source", "status", "routing_key", "fingerprint", "owner", "type",
            "key_hash", "role", "move_kind", "kind", "event_type", "from_status", "to_status",
            "metric", "traceparent", "ticket"}  # traceparent: written by the allocator, always 55


def _contract_bounds() -> tuple[dict[str, int], dict[str, int]]:
    """Every command field's longest string and largest number, by field name."""
    strings: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for name in commands.__all__:
        model = getattr(commands, name)
        if not (isinstance(model, type) and hasattr(model, "model_json_schema")):
            continue
        for field, schema in model.model_json_schema()["properties"].items():
            for option in schema.get("anyOf", [schema]):
                if "maxLength" in option:
                    assert strings.setdefault(field, option["maxLength"]) == option["maxLength"]
                if "maximum" in option:
                    numbers[field] = max(numbers.get(field, 0), option["maximum"])
    return strings, numbers


async def _columns(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn.replace("+asyncpg", ""))
    try:
        return await conn.fetch(
            "SELECT table_name, column_name, data_type, character_maximum_length AS length "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name <> 'alembic_version'")
    finally:
        await conn.close()


@pytest.mark.parametrize("service", ["allocator", "queue_view", "analytics"])
async def test_every_stored_column_holds_the_largest_value_its_contract_allows(
    hospital, service
) -> None:
    strings, numbers = _contract_bounds()
    dsn = hospital.settings.database_url.replace("_booking_gateway", f"_{service}")

    columns = await _columns(dsn)

    too_short = [(c["table_name"], c["column_name"], c["length"]) for c in columns
                 if c["column_name"] in strings and c["length"] is not None
                 and c["length"] != strings[c["column_name"]]]
    too_small = [(c["table_name"], c["column_name"], c["data_type"]) for c in columns
                 if c["column_name"] in numbers and c["data_type"] in INT_MAX
                 and INT_MAX[c["data_type"]] < numbers[c["column_name"]]]
    unbounded_input = [(c["table_name"], c["column_name"]) for c in columns
                       if c["length"] is not None and c["column_name"] not in strings
                       and c["column_name"] not in INTERNAL]
    assert (too_short, too_small, unbounded_input) == ([], [], [])


def _cases(slot: dict, token: dict) -> list[tuple[str, str, Any, Any]]:
    """(path, field, the largest value, one past it) for every bounded input."""
    book = {"patient_name": "A", "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
            "source": "walk_in"}
    tid = token["id"]
    return [
        ("/api/v1/doctors", "name", "D" * bounds.NAME_MAX, "D" * (bounds.NAME_MAX + 1)),
        ("/api/v1/doctors", "specialization", "S" * bounds.NAME_MAX, "S" * (bounds.NAME_MAX + 1)),
        ("/api/v1/doctors", "room", "R" * bounds.ROOM_MAX, "R" * (bounds.ROOM_MAX + 1)),
        ("/api/v1/slots", "max_capacity", bounds.CAPACITY_MAX, bounds.CAPACITY_MAX + 1),
        ("/api/v1/tokens", "patient_name", "P" * bounds.NAME_MAX, "P" * (bounds.NAME_MAX + 1)),
        ("/api/v1/tokens", "patient_phone", "+" + "9" * (bounds.PHONE_MAX - 1),
         "+91 98765 43210 12345"),
        ("/api/v1/tokens", "notes", "N" * bounds.TEXT_MAX, "N" * (bounds.TEXT_MAX + 1)),
        ("/api/v1/tokens", "slot_id", bounds.ID_MAX, bounds.ID_MAX + 1),
        (f"/api/v1/tokens/{tid}/reallocate", "reason", "W" * bounds.TEXT_MAX,
         "W" * (bounds.TEXT_MAX + 1)),
        (f"/api/v1/doctors/{slot['doctor_id']}/delay", "minutes", bounds.DELAY_MINUTES_MAX,
         bounds.DELAY_MINUTES_MAX + 1),
    ], book


async def test_every_field_at_its_bound_is_decided_and_one_past_it_is_422_at_once(
    hospital
) -> None:
    doctor, (slot, later) = await hospital.doctor_with_slots(bounds.CAPACITY_MAX, 50)
    token = (await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
        "patient_name": "Moved", "doctor_id": doctor["id"], "slot_id": slot["id"],
        "source": "walk_in"})).json()
    cases, book = _cases(slot, token)
    bodies = {"/api/v1/doctors": {"name": "D", "specialization": "ENT"},
              "/api/v1/slots": {"doctor_id": doctor["id"], "date": FAR_DAY,
                                "start_time": "20:00", "end_time": "21:00", "max_capacity": 1},
              "/api/v1/tokens": book,
              f"/api/v1/tokens/{token['id']}/reallocate": {"new_slot_id": later["id"]},
              f"/api/v1/doctors/{doctor['id']}/delay": {}}
    at_bound, past_bound = {}, {}

    for path, field, largest, too_large in cases:
        body = dict(bodies[path])
        if path == "/api/v1/tokens":
            body["patient_phone"] = new_phone()
        for answers, value in ((at_bound, largest), (past_bound, too_large)):
            if path == "/api/v1/slots":  # a slot of its own each time: slots may not overlap
                body["start_time"] = f"{20 + len(answers) % 3:02d}:00"
                body["end_time"] = f"{21 + len(answers) % 3:02d}:00"
            response = await hospital.gateway.post(path, headers=hospital.admin,
                                                   json={**body, field: value})
            answers[field] = response.status_code

    assert {f: s for f, s in at_bound.items() if s not in (200, 201, 404)} == {}
    assert set(past_bound.values()) == {422}
    assert await hospital.dead_letters() == 0


async def test_the_longest_values_reach_both_read_models_whole(hospital) -> None:
    _, (slot,) = await hospital.doctor_with_slots(5)
    longest = {"patient_name": "P" * bounds.NAME_MAX,
               "patient_phone": "+" + "9" * (bounds.PHONE_MAX - 1),
               "notes": "N" * bounds.TEXT_MAX}
    token = (await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
        **longest, "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
        "source": "walk_in"})).json()

    seen = await eventually(
        lambda: hospital.queue_view.get(f"/api/v1/tokens/{token['id']}", headers=hospital.admin),
        lambda r: r.status_code == 200)
    history = await eventually(
        lambda: hospital.analytics.get(f"/api/v1/analytics/tokens/{token['id']}/history",
                                       headers=hospital.admin),
        lambda r: r.status_code == 200)

    assert {k: seen.json()[k] for k in longest} == longest
    assert history.status_code == 200
    assert await hospital.dead_letters() == 0
