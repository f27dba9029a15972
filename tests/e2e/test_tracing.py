"""One booking is one trace, across every service, each a process.

Each process exports its finished spans as JSON lines to one file (`OTEL_TRACES_EXPORTER=
jsonl`, opd_shared.tracing), which the test reads: the processes are real, the exporter is
the SDK's own console exporter pointed at a file.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opd_ops.processes import System

SERVICES = {"booking-gateway", "allocator", "queue-view", "analytics", "notifier"}


@pytest.fixture(scope="module")
def traced(infra, tmp_path_factory) -> Iterator[tuple[System, Path]]:
    """Every service with tracing on, their spans appended to one file."""
    spans = tmp_path_factory.mktemp("traces") / "spans.jsonl"
    namespace = infra.namespace("trace")
    env = {**infra.env(namespace), "OTEL_TRACES_EXPORTER": "jsonl",
           "OTEL_EXPORTER_JSONL_FILE": str(spans)}
    running = System(namespace, infra.postgres_url, env)
    try:
        running.start()
        yield running, spans
    finally:
        running.stop()


def _spans(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _service(span: dict) -> str:
    return span["resource"]["attributes"]["service.name"]


def _trace_of(spans: list[dict], trace_id: str) -> list[dict]:
    return [s for s in spans if s["context"]["trace_id"] == trace_id]


def _book(client: httpx.Client) -> tuple[httpx.Response, str]:
    """A doctor, a slot, and one booking in it; the booking's answer and command id."""
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    doctor = client.post("/api/v1/doctors", json={"name": "Dr. Trace",
                                                  "specialization": "ENT"}).json()
    slot = client.post("/api/v1/slots", json={
        "doctor_id": doctor["id"], "date": tomorrow, "start_time": "09:00",
        "end_time": "10:00", "max_capacity": 5}).json()
    booked = client.post("/api/v1/tokens", json={
        "patient_name": "Asha Rao", "patient_phone": "9876543210", "doctor_id": doctor["id"],
        "slot_id": slot["id"], "source": "online"})
    return booked, booked.headers.get("X-Request-ID", "")


def test_one_booking_is_one_trace_through_every_service(traced, infra):
    system, path = traced
    with httpx.Client(base_url=system["gateway"].url, headers=infra.admin_headers,
                      timeout=15) as client:
        booked, command_id = _book(client)
    assert booked.status_code == 201, booked.text

    deadline, trace = time.monotonic() + 20, []
    while time.monotonic() < deadline:  # the read models apply within tens of milliseconds
        spans = _spans(path)
        request = [s for s in spans if s["name"] == "POST /api/v1/tokens"
                   and s["kind"] == "SpanKind.SERVER"]
        if request:
            trace = _trace_of(spans, request[0]["context"]["trace_id"])
            if {_service(s) for s in trace if s["name"].startswith("apply ")} >= {
                    "queue-view", "analytics", "notifier"}:
                break
        time.sleep(0.2)

    assert {_service(s) for s in trace} == SERVICES
    names = {(_service(s), s["name"]) for s in trace}
    assert {("allocator", "decide book_token"), ("allocator", "relay token.allocated"),
            ("queue-view", "apply token.allocated"),
            ("analytics", "apply token.allocated"),
            ("notifier", "apply token.allocated")} <= names
    # One tree: a single root (the gateway's request), every other span's parent in it.
    ids = {s["context"]["span_id"] for s in trace}
    roots = [s for s in trace if s["parent_id"] is None]
    assert [(_service(r), r["name"]) for r in roots] == [("booking-gateway",
                                                           "POST /api/v1/tokens")]
    assert all(s["parent_id"] in ids for s in trace if s["parent_id"] is not None)
    # The command's decision is in this trace and no other.
    decisions = [s for s in _spans(path) if s["name"] == "decide book_token"
                 and s["attributes"].get("messaging.message.id") == command_id]
    assert [d["context"]["trace_id"] for d in decisions] == [trace[0]["context"]["trace_id"]]
    # PostgreSQL statements of the allocator and both read models, without the patient:
    # under the item's span, or, when it shared its batch with other traces' items, under
    # the batch's span that the item's links to.
    everything = _spans(path)
    statements = [s for s in trace if "db.statement" in s["attributes"]]
    for item in [s for s in trace if s["links"]]:
        batch = {link["context"]["span_id"] for link in item["links"]}
        statements += [s for s in everything
                       if s["parent_id"] in batch and "db.statement" in s["attributes"]]
    assert {_service(s) for s in statements} >= {"allocator", "queue-view", "analytics"}
    assert not [s for s in everything
                if "Asha" in json.dumps(s) or "9876543210" in json.dumps(s)]
