"""The edge proxy of docker-compose (deploy/edge) really routes: writes to the gateway, reads
to queue-view, management to analytics — tested with this machine's nginx."""

from __future__ import annotations

import shutil
import string
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opd_ops.processes import free_port

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "edge" / "opd.conf.template"
MAIN = """worker_processes 1; daemon off; pid {dir}/nginx.pid; error_log {dir}/error.log;
events {{}}
http {{ access_log off; client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
       fastcgi_temp_path {dir}/fcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
       include {dir}/opd.conf; }}
"""


@pytest.fixture(scope="module")
def edge(system, tmp_path_factory) -> Iterator[str]:
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (CI installs it)")
    folder, port = tmp_path_factory.mktemp("edge"), free_port()
    upstream = {name: f"127.0.0.1:{system[name].port}"
                for name in ("gateway", "queue_view", "analytics")}
    (folder / "opd.conf").write_text(string.Template(TEMPLATE.read_text()).safe_substitute(
        OPD_GATEWAY_UPSTREAM=upstream["gateway"], OPD_QUEUE_VIEW_UPSTREAM=upstream["queue_view"],
        OPD_ANALYTICS_UPSTREAM=upstream["analytics"], OPD_EDGE_PORT=str(port)))
    (folder / "nginx.conf").write_text(MAIN.format(dir=folder))
    nginx = subprocess.Popen(["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            httpx.get(f"{url}/healthz")
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    nginx.terminate()
    nginx.wait(timeout=10)


def test_one_base_url_serves_writes_reads_and_management(edge, infra):
    client = httpx.Client(base_url=edge, headers=infra.admin_headers, timeout=15)

    doctor = client.post("/api/v1/doctors", json={"name": "Dr. Edge", "specialization": "ENT"})
    slot = client.post("/api/v1/slots", json={
        "doctor_id": doctor.json()["id"], "date": "2099-01-01", "start_time": "09:00",
        "end_time": "10:00", "max_capacity": 3})
    token = client.post("/api/v1/tokens", json={
        "patient_name": "Edge Case", "doctor_id": doctor.json()["id"],
        "slot_id": slot.json()["id"], "source": "online"})
    deadline = time.monotonic() + 10
    while (read := client.get(f"/api/v1/tokens/{token.json()['id']}")).status_code != 200:
        assert time.monotonic() < deadline, read.text
        time.sleep(0.1)
    status = client.get("/api/v1/analytics/system/status")
    page = client.get("/display")

    assert (doctor.status_code, slot.status_code, token.status_code) == (201, 201, 201)
    assert read.json()["token_number"] == token.json()["token_number"]
    assert status.status_code == 200 and "tokens_by_status" in status.json()
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
