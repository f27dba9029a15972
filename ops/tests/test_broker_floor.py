"""The floor measurement plays a booking's messages through the real broker, every one."""

from __future__ import annotations

from opd_ops.bench.broker_floor import Batching, measure
from opd_shared.settings import ServiceSettings


async def test_every_command_gets_its_reply_and_each_read_model_its_event(infra):
    settings = infra.settings(ServiceSettings, infra.namespace("floor"))

    # measure() waits until every reply and both copies of every event arrived (else it
    # times out), so finishing at all is the proof; the figures must be plausible too.
    figures = await measure(settings, rate=100, seconds=1)

    assert 0 < figures["achieved_rate"] <= 101  # a rate, not a timing test: see the bench
    assert figures["broker_us_per_booking"] > 0
    assert figures["client_us_per_booking"] > 0


async def test_without_events_only_commands_and_replies_cost(infra):
    settings = infra.settings(ServiceSettings, infra.namespace("floor"))

    figures = await measure(settings, rate=100, seconds=1, with_events=False)

    assert 0 < figures["achieved_rate"] <= 101  # a rate, not a timing test: see the bench


async def test_events_sent_several_to_a_message_still_reach_both_read_models_all(infra):
    settings = infra.settings(ServiceSettings, infra.namespace("floor"))

    figures = await measure(settings, rate=100, seconds=1, batching=Batching(events=5))

    assert 0 < figures["achieved_rate"] <= 101  # a rate, not a timing test: see the bench


async def test_commands_and_replies_in_batches_still_answer_every_booking(infra):
    settings = infra.settings(ServiceSettings, infra.namespace("floor"))

    # 4 and 6: a command message's replies straddle reply messages, and still all arrive.
    figures = await measure(settings, rate=120, seconds=1,
                            batching=Batching(commands=4, replies=6, events=12))

    assert 0 < figures["achieved_rate"] <= 121
