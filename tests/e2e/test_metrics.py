"""Every service shows its figures at /metrics, under the names operators' dashboards use."""

from __future__ import annotations

import time

import httpx

EXPECTED = {
    "gateway": ["http_request_duration_seconds_bucket", "opd_reply_timeouts_total"],
    "allocator": ["opd_commands_consumed_total", "opd_batch_size_bucket",
                  "opd_decision_seconds_bucket", "opd_outbox_lag_seconds_bucket",
                  "opd_dead_letter_depth"],
    "queue_view": ['opd_events_applied_total{consumer="queue_view"}',
                   "http_request_duration_seconds_bucket"],
    "analytics": ['opd_events_applied_total{consumer="analytics"}',
                  "http_request_duration_seconds_bucket"],
}


def test_each_service_reports_its_message_path_at_metrics(system, infra):
    client = httpx.Client(headers=infra.admin_headers, timeout=15)
    gateway = system["gateway"].url
    doctor = client.post(f"{gateway}/api/v1/doctors",
                         json={"name": "Dr. Metric", "specialization": "ENT"}).json()
    client.get(f"{system['queue_view'].url}/api/v1/doctors/{doctor['id']}")
    client.get(f"{system['analytics'].url}/api/v1/analytics/system/status")
    deadline = time.monotonic() + 15

    missing: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        pages = {name: client.get(f"{system[name].url}/metrics").text for name in EXPECTED}
        missing = {name: [m for m in names if m not in pages[name]]
                   for name, names in EXPECTED.items()}
        if not any(missing.values()):
            break
        time.sleep(0.5)

    assert not any(missing.values()), missing
