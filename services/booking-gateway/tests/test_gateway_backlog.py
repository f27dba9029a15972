"""A gateway that falls behind holds its clients' new connections instead of dropping them
(ops/opd_ops/serve.py, `--backlog 4096` on every gateway command line): past the listening
socket's backlog Linux drops a client's SYN without a word, and the client tries again only
after 1 s, 3 s, 7 s. The gateway process is started as the bench and the tests start it,
stopped (SIGSTOP: it accepts nothing, as a gateway starved of CPU), and 3,000 clients
connect: the kernel must hold every one for it. With uvicorn's default backlog, 2,048, it
held 2,049 and dropped the rest. Not timed: the connections are counted, in the
listening socket's queue."""

from __future__ import annotations

import asyncio
import errno
import re
import resource
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from opd_ops.processes import Service
from opd_ops.serve import BACKLOG

ROOT = Path(__file__).resolve().parents[3]
CLIENTS = 3000  # more than uvicorn's default backlog, fewer than the gateway's


def _somaxconn() -> int:
    return int(Path("/proc/sys/net/core/somaxconn").read_text())


def _waiting_to_be_accepted(port: int) -> int:
    """The listening socket's accept queue: connections made, not yet accepted."""
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[1])


def _files_enough() -> bool:
    """Room for the clients' sockets: the soft limit raised to the hard one if need be."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CLIENTS + 1000
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            return False
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return True


@pytest.mark.skipif(_somaxconn() < CLIENTS, reason="the kernel caps every backlog lower")
async def test_a_stalled_gateway_holds_three_thousand_new_connections_for_when_it_runs(infra):
    if not _files_enough():
        pytest.skip(f"this process may not open {CLIENTS} sockets")
    gateway = Service("gateway", infra.env(infra.namespace("backlog")), quiet=True)
    clients: list[socket.socket] = []
    try:
        await asyncio.to_thread(gateway.start)
        await asyncio.to_thread(gateway.wait_ready)
        assert gateway.process is not None
        gateway.process.send_signal(signal.SIGSTOP)
        for _ in range(CLIENTS):
            client = socket.socket()
            client.setblocking(False)
            assert client.connect_ex(("127.0.0.1", gateway.port)) in (0, errno.EINPROGRESS)
            clients.append(client)
        held = 0
        for _ in range(50):  # the handshakes are the kernel's, done in a moment; a dropped
            await asyncio.sleep(0.05)  # SYN is not tried again for a second
            if (held := _waiting_to_be_accepted(gateway.port)) >= CLIENTS:
                break
        gateway.process.send_signal(signal.SIGCONT)
        for client in clients:
            client.close()
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
            answer = await http.get("/healthz")
    finally:
        if gateway.process is not None:
            gateway.process.send_signal(signal.SIGCONT)
        for client in clients:
            client.close()
        await asyncio.to_thread(gateway.stop)

    assert held == CLIENTS
    assert answer.status_code == 200  # and, running again, it answers


def test_every_gateway_command_line_asks_for_the_same_backlog():
    lines = {
        "deploy/Procfile": next(line for line in (ROOT / "deploy/Procfile").read_text()
                                .splitlines() if line.startswith("gateway:")),
        "docker-compose.yml": re.search(r'command: \["uvicorn", "booking_gateway[^\]]*\]',
                                        (ROOT / "docker-compose.yml").read_text()).group(0),
        "deploy/k8s/gateway.yaml": re.search(r"command: \[uvicorn, booking_gateway[^\]]*\]",
                                             (ROOT / "deploy/k8s/gateway.yaml").read_text()
                                             ).group(0),
    }
    backlogs = {name: re.findall(r'--backlog"?,? "?(\d+)', line) for name, line in lines.items()}
    assert backlogs == {name: [str(BACKLOG)] for name in lines}
    assert BACKLOG == 4096
