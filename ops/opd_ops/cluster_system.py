"""The product on the three-node cluster, scaled out, under a steady booking load.

Two gateways behind the nginx edge of deploy/edge, two allocators (each preferring half of
the partitions, standing by for the rest), two queue-view processes and analytics, all on
one `OPD_AMQP_URL` naming the three nodes. A load of bookings with unique Idempotency-Keys
goes through the edge at a steady rate while nodes stop and processes are SIGKILLed; every
answer is kept with its time, so the tests can show when 503s came and how long bookings
stalled. Used by tests/faults/test_cluster_*.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from opd_ops.dsn import server_dsn
from opd_ops.edge import Edge
from opd_ops.processes import Service, free_port

__all__ = ["Answer", "ClusterSystem", "Load"]

# The edge tries the other gateway when one refuses the connection (nginx's default for
# any method, since nothing was sent); a request already sent to a gateway that died gets
# 502, and the client asks again with the same Idempotency-Key.
RETRY_WITH_SAME_KEY = {502, 503, 504}


@dataclass
class ClusterSystem:
    """Processes of every service, two of each but analytics, on the cluster's nodes."""

    namespace: str
    postgres_url: str
    env: dict[str, str]
    folder: Path
    standby_delay_seconds: float = 3
    services: dict[str, Service] = field(default_factory=dict)
    edge: Edge | None = None

    def __post_init__(self) -> None:
        scaled = {**self.env, "OPD_ALLOCATOR_COUNT": "2",
                  "OPD_STANDBY_DELAY_SECONDS": str(self.standby_delay_seconds)}
        logs = self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        plan = {"gateway_a": ("gateway", {}), "gateway_b": ("gateway", {}),
                "allocator_a": ("allocator", {"OPD_ALLOCATOR_INDEX": "0"}),
                "allocator_b": ("allocator", {"OPD_ALLOCATOR_INDEX": "1"}),
                "queue_view_a": ("queue_view", {}), "queue_view_b": ("queue_view", {}),
                "analytics": ("analytics", {})}
        self.services = {key: Service(app, {**scaled, **extra}, log=logs / f"{key}.log")
                         for key, (app, extra) in plan.items()}

    def __getitem__(self, key: str) -> Service:
        return self.services[key]

    def start(self) -> None:
        # The first of each starts alone, so migrations run once and without a race.
        firsts = ["allocator_a", "queue_view_a", "analytics", "gateway_a"]
        for key in firsts:
            self.services[key].start()
        for key in firsts:
            self.services[key].wait_ready()
        for key in self.services.keys() - set(firsts):
            self.services[key].start()
        for key in self.services.keys() - set(firsts):
            self.services[key].wait_ready()
        if shutil.which("nginx"):
            # No interop in the cluster: its routes point at a port nobody listens on (502).
            ports: dict[str, list[int]] = {"gateway": [], "queue_view": [], "analytics": [],
                                           "interop": [free_port()]}
            for service in self.services.values():
                ports.get(service.name, []).append(service.port)
            self.edge = Edge(self.folder / "edge", ports)
            self.edge.start()

    def stop(self) -> None:
        if self.edge:
            self.edge.stop()
        for service in self.services.values():
            service.stop()

    def kill(self, key: str) -> None:
        """SIGKILL one process: no shutdown of any kind."""
        self.services[key].stop(signal.SIGKILL)

    def restart(self, key: str) -> None:
        service = self.services[key]
        service.stop()
        service.start()
        service.wait_ready()

    @property
    def entry_urls(self) -> list[str]:
        """Where clients send requests: the edge, or both gateways in turn without nginx."""
        if self.edge:
            return [self.edge.url]
        return [self.services[k].url for k in ("gateway_a", "gateway_b")]

    @property
    def allocator_dsn(self) -> str:
        return f"{server_dsn(self.postgres_url)}/{self.namespace}_allocator"


@dataclass
class Answer:
    status: int  # 0: no answer (the connection failed)
    at: float  # monotonic seconds
    retry_after: str | None = None
    body: dict | None = None


@dataclass
class Load:
    """A steady stream of bookings, one new Idempotency-Key every 1/rate seconds, each asked
    again with its key after a 202, 502, 503, 504 or no answer until it is decided."""

    urls: list[str]
    headers: dict[str, str]
    slots: list[dict]
    rate: float = 20
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    slot_of: dict[str, dict] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def decided(self, key: str) -> Answer | None:
        final = [a for a in self.answers.get(key, []) if a.status in (200, 201, 409)]
        return final[-1] if final else None

    def with_status(self, status: int) -> list[Answer]:
        return [a for answers in self.answers.values() for a in answers if a.status == status]

    @property
    def keys(self) -> list[str]:
        return list(self.answers)

    async def _one(self, client: httpx.AsyncClient, key: str, slot: dict,
                   give_up_at: float) -> None:
        body = {"patient_name": f"patient-{key}", "doctor_id": slot["doctor_id"],
                "slot_id": slot["id"], "source": "online"}
        while time.monotonic() < give_up_at:
            try:
                response = await client.post("/api/v1/tokens", json=body,
                                             headers={"Idempotency-Key": key})
                answer = Answer(response.status_code, time.monotonic(),
                                response.headers.get("retry-after"),
                                response.json() if response.status_code in (201, 409)
                                else None)
            except httpx.TransportError:
                answer = Answer(0, time.monotonic())
            self.answers[key].append(answer)
            if answer.status not in (0, 202, *RETRY_WITH_SAME_KEY):
                return
            await asyncio.sleep(0.3)

    async def run(self, until: asyncio.Event, settle_seconds: float = 120) -> None:
        """Book at `rate` a second until `until` is set; then wait for every booking to be
        decided (each keeps asking with its key), at most `settle_seconds`."""
        clients = [httpx.AsyncClient(base_url=url, headers=self.headers, timeout=30)
                   for url in self.urls]
        try:
            n = 0
            while not until.is_set():
                key = uuid.uuid4().hex
                self.answers[key] = []
                self.slot_of[key] = self.slots[n % len(self.slots)]
                task = asyncio.create_task(self._one(clients[n % len(clients)], key,
                                                     self.slots[n % len(self.slots)],
                                                     time.monotonic() + settle_seconds + 600))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                n += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(until.wait(), 1 / self.rate)
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=settle_seconds)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for client in clients:
                await client.aclose()

    def longest_stall(self, slot_ids: set[int] | None = None) -> float:
        """The longest time between two decided answers (a booking or a refusal), of all
        bookings or of those for `slot_ids`: how long deciding stopped."""
        times = sorted(a.at for key, answers in self.answers.items() for a in answers
                       if a.status in (201, 409)
                       and (slot_ids is None or self.slot_of[key]["id"] in slot_ids))
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)
