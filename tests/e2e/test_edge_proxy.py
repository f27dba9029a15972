"""The edge proxy of docker-compose (deploy/edge) really routes: writes to the gateway, reads
to queue-view, management to analytics, FHIR and ABDM's Scan & Share to interop — tested with
this machine's nginx, against the real services and against stand-ins that say who answered."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from opd_ops.edge import EDGE_TEMPLATE, UPSTREAM_VARIABLES, Edge

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
# Where each kind of request must land: (method, path and query, upstream).
ROUTES = [
    ("POST", "/api/v1/tokens", "gateway"),
    ("PATCH", "/api/v1/slots/3", "gateway"),
    ("GET", "/api/v1/tokens/7", "queue_view"),
    ("GET", "/t/some-ticket/events", "queue_view"),
    ("GET", "/display", "queue_view"),
    ("GET", "/api/v1/analytics/system/status", "analytics"),
    ("GET", "/dashboard", "analytics"),
    ("GET", "/fhir/metadata", "interop"),
    ("GET", "/fhir/Slot?schedule=Schedule/1&status=free", "interop"),
    ("POST", "/fhir/Appointment", "interop"),
    ("PATCH", "/fhir/Appointment/5", "interop"),
    ("POST", "/fhir/Appointment/5/$cancel", "interop"),
    ("POST", "/v1.0/patients/profile/share", "interop"),
]


class _Echo(BaseHTTPRequestHandler):
    """Answers any request with who it is and what reached it, on a kept-alive connection."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({
            "upstream": getattr(self.server, "name", None), "path": self.path,
            "version": self.request_version, "peer_port": self.client_address[1],
            "host": self.headers.get("Host"), "forwarded_for": self.headers.get(
                "X-Forwarded-For"), "connection": self.headers.get("Connection")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


class _StandIn(ThreadingHTTPServer):
    """A stand-in for one upstream, serving on a free port until closed."""

    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)
        self.name = name
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def stand_ins() -> Iterator[dict[str, int]]:
    """One stand-in per upstream of the template: its port, by upstream name."""
    servers = [_StandIn(name) for name in UPSTREAM_VARIABLES]
    yield {server.name: server.port for server in servers}
    for server in servers:
        server.close()


def started(folder: Path, upstreams: dict[str, list[int]]) -> Edge:
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (CI installs it)")
    edge = Edge(folder, upstreams)
    edge.start()
    return edge


@pytest.fixture
def stand_in_edge(stand_ins, tmp_path) -> Iterator[str]:
    edge = started(tmp_path, {name: [port] for name, port in stand_ins.items()})
    yield edge.url
    edge.stop()


@pytest.fixture(scope="module")
def edge(system, tmp_path_factory) -> Iterator[str]:
    """The edge in front of the real services; interop is not among the system's processes,
    so a stand-in takes its place (the routes to it are the stand-in test's)."""
    interop = _StandIn("interop")
    upstreams = {name: [system[name].port] for name in ("gateway", "queue_view", "analytics")}
    running = started(tmp_path_factory.mktemp("edge"), {**upstreams, "interop": [interop.port]})
    yield running.url
    running.stop()
    interop.close()


def test_docker_compose_gives_the_edge_every_upstream_its_template_names():
    compose = yaml.safe_load(COMPOSE.read_text())
    given = set(compose["services"]["edge"]["environment"])
    named = {variable for variable in UPSTREAM_VARIABLES.values()
             if f"${{{variable}}}" in EDGE_TEMPLATE.read_text()}

    assert named == set(UPSTREAM_VARIABLES.values())
    assert given == named | {"OPD_EDGE_PORT"}
    assert "interop" in compose["services"]["edge"]["depends_on"]


@pytest.mark.parametrize(("method", "path", "upstream"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_each_path_reaches_the_service_that_serves_it(stand_in_edge, method, path, upstream):
    answer = httpx.request(method, f"{stand_in_edge}{path}", timeout=5,
                           content=b"{}" if method != "GET" else None)

    assert answer.status_code == 200, answer.text
    assert (answer.json()["upstream"], answer.json()["path"]) == (upstream, path)


def test_interop_is_proxied_as_the_others_are_on_kept_alive_connections(stand_in_edge):
    """HTTP/1.1 with no `Connection: close`, the client's Host and X-Forwarded-For: the
    template's conventions, and nginx keeps the connection to interop for the next request."""
    with httpx.Client(base_url=stand_in_edge, timeout=5) as client:
        seen = [client.get("/fhir/metadata", headers={"Host": "opd.example.org"}).json()
                for _ in range(3)]

    assert {(s["version"], s["connection"], s["host"], s["forwarded_for"]) for s in seen} == {
        ("HTTP/1.1", None, "opd.example.org", "127.0.0.1")}
    assert len({s["peer_port"] for s in seen}) == 1, "each request opened a new connection"


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
