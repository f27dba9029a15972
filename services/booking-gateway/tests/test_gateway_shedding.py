"""Overload is shed at the door: past what the recent decision rate decides within the wait
budget (or past the hard cap), a request gets an immediate 503 with Retry-After and the
usual error body, and nothing is published. The rule, on a clock of the test's own; then
the gateway on the real broker, with no allocator, so that requests stay in flight."""

from __future__ import annotations

import asyncio
import datetime as dt

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager

from booking_gateway.admission import IN_FLIGHT_FLOOR, Admission, Overloaded
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _decide_at(admission: Admission, clock: Clock, rate: float, seconds: float) -> None:
    for _ in range(int(rate * seconds)):
        clock.now += 1 / rate
        admission.decided()


def test_a_quiet_gateway_admits_the_floor_whatever_its_rate():
    admission = Admission(max_in_flight=1000, wait_budget_s=0.25, clock=Clock())

    held = [admission.admitted() for _ in range(IN_FLIGHT_FLOOR)]
    for place in held:
        place.__enter__()

    with pytest.raises(Overloaded) as refused, admission.admitted():
        pass
    assert refused.value.retry_after == 1
    held[0].__exit__(None, None, None)
    with admission.admitted():  # a place came free
        assert admission.in_flight == IN_FLIGHT_FLOOR


def test_at_a_measured_rate_only_what_it_decides_within_the_budget_is_admitted():
    clock = Clock()
    admission = Admission(max_in_flight=1000, wait_budget_s=0.25, clock=clock)
    _decide_at(admission, clock, rate=1000, seconds=2)

    assert admission.bound() == pytest.approx(250, abs=3)  # 1,000/s x 0.25 s
    admission.in_flight = admission.bound()
    with pytest.raises(Overloaded), admission.admitted():
        pass


def test_the_hard_cap_holds_whatever_the_rate():
    clock = Clock()
    admission = Admission(max_in_flight=100, wait_budget_s=1.0, clock=clock)
    _decide_at(admission, clock, rate=2000, seconds=1)

    assert admission.bound() == 100


def _client(app, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw",
                             headers=headers)


async def test_past_the_bound_a_booking_gets_503_with_retry_after_at_once_and_nothing_is_sent(
        infra):
    settings = infra.settings(GatewaySettings, infra.namespace("shed"),
                              admission_max_in_flight=2, reply_timeout_seconds=3)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    body = {"patient_name": "Asha", "doctor_id": 1, "slot_id": 17, "source": "walk_in"}

    gateway = create_gateway(settings)
    async with LifespanManager(gateway) as started, \
            _client(started.app, infra.admin_headers) as client:
        waiting = [asyncio.create_task(client.post("/api/v1/tokens", json=body))
                   for _ in range(2)]  # no allocator runs: both wait for a decision
        async with asyncio.timeout(2):
            while gateway.state.runtime.bus.admission.in_flight < 2:  # noqa: ASYNC110 - a counter
                await asyncio.sleep(0.01)
        queued = await _ready(settings)

        refused = await client.post("/api/v1/slots", json={
            "doctor_id": 1, "date": tomorrow, "start_time": "09:00", "end_time": "10:00",
            "max_capacity": 5})
        assert await _ready(settings) == queued  # the refused command was never published

        answered = await asyncio.gather(*waiting)
        admitted_again = await client.post("/api/v1/tokens", json=body)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.json() == {"detail": "the gateway is at capacity; try again in 1 s",
                              "code": "unavailable"}
    assert [r.status_code for r in answered] == [202, 202]  # the admitted ones, undecided
    assert admitted_again.status_code == 202  # places came free


async def _ready(settings: GatewaySettings) -> int:
    """Commands waiting in every partition queue."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        total = 0
        for partition in range(settings.partitions):
            queue = await channel.declare_queue(settings.topology.partition_queue(partition),
                                                passive=True)
            total += queue.declaration_result.message_count or 0
        return total
