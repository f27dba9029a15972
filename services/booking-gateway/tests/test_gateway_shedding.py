"""Overload is shed at the door: past the admission limit (which shrinks while more than one
decision in a hundred comes later than the wait budget, grows while they come in time at
the limit, and returns to where it started while they come in time below it), a request gets
an immediate 503 with Retry-After and the usual error body, and nothing is published. The
rule, on a clock of the test's own; then the gateway on the real broker, with no allocator,
so that requests stay in flight."""

from __future__ import annotations

import asyncio
import datetime as dt

import aio_pika
import pytest
from prometheus_client import REGISTRY

from booking_gateway.admission import FLOOR, START, WINDOW_SECONDS, Admission, Overloaded
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import asgi_client, serving


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _admission(max_in_flight: int = 1000) -> tuple[Admission, Clock]:
    """A gateway's admission with a wait budget of 0.25 s, on a clock of the test's own."""
    clock = Clock()
    return Admission(max_in_flight=max_in_flight, wait_budget_s=0.25, clock=clock), clock


def _fill(admission: Admission, count: int) -> list:
    """`count` places held (kept by the caller: a place let go is given back)."""
    places = [admission.admitted() for _ in range(count)]
    for place in places:
        place.__enter__()
    return places


def _refused(admission: Admission) -> bool:
    try:
        with admission.admitted():
            return False
    except Overloaded:
        return True


def _windows(admission: Admission, clock: Clock, count: int, waited_s: float | None,
             at_limit: bool, decisions: int = 10) -> None:
    """`count` windows of `decisions` decisions, each after `waited_s`; `at_limit`: with the
    limit's every place taken meanwhile, so that the next request is refused."""
    for _ in range(count):
        held = _fill(admission, int(admission.limit)) if at_limit else []
        if at_limit:
            assert _refused(admission)
        for place in held:
            place.__exit__(None, None, None)
        for _ in range(decisions):
            clock.now += WINDOW_SECONDS / decisions
            admission.decided(waited_s)


def test_a_quiet_gateway_admits_a_burst_up_to_the_starting_limit_and_refuses_the_next():
    admission, _ = _admission()
    shed_before = REGISTRY.get_sample_value("opd_admission_shed_total")

    held = _fill(admission, START)

    with pytest.raises(Overloaded) as refused, admission.admitted():
        pass
    assert refused.value.retry_after == 1
    assert REGISTRY.get_sample_value("opd_admission_shed_total") == shed_before + 1
    assert REGISTRY.get_sample_value("opd_admission_limit") == START
    assert len(held) == admission.in_flight == START and admission.refuses()


def test_decisions_later_than_the_budget_shrink_the_limit_down_to_the_floor_and_no_lower():
    admission, clock = _admission()

    _windows(admission, clock, 1, waited_s=0.4, at_limit=False)
    after_one = admission.limit
    _windows(admission, clock, 30, waited_s=0.4, at_limit=False)

    assert after_one == pytest.approx(START * 0.75, abs=1)
    assert admission.limit == FLOOR


def test_decisions_that_stopped_for_a_while_and_then_came_late_leave_the_limit_alone():
    admission, clock = _admission()
    _windows(admission, clock, 1, waited_s=0.05, at_limit=False)

    clock.now += 3  # a broker node fails over: no decision for three seconds
    admission.decided(3.1)  # then the ones that waited, all late, close the long window
    _windows(admission, clock, 1, waited_s=0.05, at_limit=False)

    assert admission.limit == START


def test_a_decision_that_never_came_counts_as_late():
    admission, clock = _admission()

    _windows(admission, clock, 1, waited_s=None, at_limit=True)

    assert admission.limit < START


@pytest.mark.parametrize(("late", "shrinks"), [(1, False), (2, True)])
def test_one_late_decision_in_a_hundred_leaves_the_limit_and_two_shrink_it(late, shrinks):
    admission, clock = _admission()

    for n in range(100):  # one window of exactly 100 decisions: the last one closes it
        clock.now += WINDOW_SECONDS / 100 * (2 if n == 99 else 1)
        admission.decided(0.4 if n < late else 0.01)

    assert admission.limit == (pytest.approx(START * 0.75, abs=1) if shrinks else START)


def test_decisions_in_time_at_the_limit_grow_it_up_to_the_cap_and_no_higher():
    admission, clock = _admission(400)

    _windows(admission, clock, 1, waited_s=0.05, at_limit=True)
    after_one = admission.limit
    _windows(admission, clock, 30, waited_s=0.05, at_limit=True)

    assert after_one == pytest.approx(START * 1.1 + 1, abs=1)
    assert admission.limit == 400


def test_decisions_in_time_below_the_starting_limit_leave_it_where_it_is():
    admission, clock = _admission()

    _windows(admission, clock, 20, waited_s=0.05, at_limit=False)

    assert admission.limit == START


def test_after_a_late_spell_decisions_in_time_bring_the_limit_back_to_the_start_and_no_higher():
    admission, clock = _admission()
    _windows(admission, clock, 30, waited_s=0.4, at_limit=False)  # a spell: down to the floor

    _windows(admission, clock, 1, waited_s=0.05, at_limit=False)
    after_one = admission.limit
    _windows(admission, clock, 30, waited_s=0.05, at_limit=False)

    assert after_one == pytest.approx(FLOOR * 1.1 + 1, abs=1)
    assert admission.limit == START


def test_a_cap_below_the_floor_is_still_the_cap():
    admission, clock = _admission(2)

    _windows(admission, clock, 5, waited_s=0.4, at_limit=True)

    assert admission.limit == 2


async def test_past_the_bound_a_booking_gets_503_with_retry_after_at_once_and_nothing_is_sent(
        infra):
    settings = infra.settings(GatewaySettings, infra.namespace("shed"),
                              admission_max_in_flight=2, reply_timeout_seconds=3)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    body = {"patient_name": "Asha", "doctor_id": 1, "slot_id": 17, "source": "walk_in"}

    gateway = create_gateway(settings)
    async with serving(gateway) as started, \
            asgi_client(started.app, "gw", infra.admin_headers) as client:
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
        unread = await client.post("/api/v1/tokens", content=b"{not json",
                                   headers={"Content-Type": "application/json"})

        answered = await asyncio.gather(*waiting)
        admitted_again = await client.post("/api/v1/tokens", json=body)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert {key: refused.json()[key] for key in ("detail", "code", "status")} == {
        "detail": "the gateway is at capacity; try again in 1 s", "code": "unavailable",
        "status": 503}
    # Refused at the door, before its body was read: not the 422 a malformed body gets.
    assert (unread.status_code, unread.headers["Retry-After"]) == (503, "1")
    assert [r.status_code for r in answered] == [202, 202]  # the admitted ones, undecided
    assert admitted_again.status_code == 202  # places came free


async def _ready(settings: GatewaySettings) -> int:
    """Commands waiting in every command queue."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        total = 0
        for number in range(settings.topology.command_queues):
            queue = await channel.declare_queue(settings.topology.partition_queue(number),
                                                passive=True)
            total += queue.declaration_result.message_count or 0
        return total
