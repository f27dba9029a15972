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

from booking_gateway.admission import IN_FLIGHT_FLOOR, Admission, Overloaded
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import serving


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _decide_at(admission: Admission, clock: Clock, rate: float, seconds: float,
               in_flight: int) -> None:
    """Decisions at `rate` for `seconds`, with `in_flight` requests waiting meanwhile."""
    admission.in_flight = in_flight
    for _ in range(int(rate * seconds)):
        clock.now += 1 / rate
        admission.decided()
    admission.in_flight = 0


def _fill(admission: Admission, count: int) -> list:
    """`count` places held (kept by the caller: a place let go is given back)."""
    places = [admission.admitted() for _ in range(count)]
    for place in places:
        place.__enter__()
    return places


def test_a_gateway_that_never_saturated_admits_up_to_the_hard_cap():
    clock = Clock()
    admission = Admission(max_in_flight=300, wait_budget_s=0.25, clock=clock)
    _decide_at(admission, clock, rate=50, seconds=2, in_flight=3)  # a quiet morning

    held = _fill(admission, 300)  # a burst: all admitted, whatever the quiet rate was

    with pytest.raises(Overloaded) as refused, admission.admitted():
        pass
    assert refused.value.retry_after == 1
    assert len(held) == admission.in_flight == 300


def test_once_saturated_only_what_capacity_decides_within_the_budget_is_admitted():
    clock = Clock()
    admission = Admission(max_in_flight=1000, wait_budget_s=0.25, clock=clock)
    _decide_at(admission, clock, rate=1000, seconds=2, in_flight=400)

    assert admission.bound() == pytest.approx(250, abs=3)  # 1,000/s x 0.25 s
    held = _fill(admission, admission.bound())
    with pytest.raises(Overloaded), admission.admitted():
        pass
    assert admission.in_flight == len(held)


def test_the_bound_is_never_below_the_floor_nor_above_the_cap():
    clock = Clock()
    slow = Admission(max_in_flight=1000, wait_budget_s=0.25, clock=clock)
    _decide_at(slow, clock, rate=100, seconds=2, in_flight=IN_FLIGHT_FLOOR)
    fast = Admission(max_in_flight=100, wait_budget_s=1.0, clock=clock)
    _decide_at(fast, clock, rate=2000, seconds=1, in_flight=500)

    assert (slow.bound(), fast.bound()) == (IN_FLIGHT_FLOOR, 100)


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
    async with serving(gateway) as started, \
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
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert {key: refused.json()[key] for key in ("detail", "code", "status")} == {
        "detail": "the gateway is at capacity; try again in 1 s", "code": "unavailable",
        "status": 503}
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
