"""Messages that can never be applied end in the dead-letter queue and block nothing:
a body that is not an event at once, an event the database refuses after its last try; each
with its reason and queue, and no patient data."""

from __future__ import annotations

import datetime as dt
import logging

import aio_pika

from opd_contracts.vocabulary import Source
from opd_shared.retries import ATTEMPT_LIMIT

DAY = dt.date(2026, 3, 3)


async def dead_letters(service, want: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
    settings = service.runtime.settings
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        queue = await (await connection.channel()).get_queue(settings.topology.dead_letter_queue)
        found: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def more() -> int:
            if (message := await queue.get(no_ack=True, fail=False)) is not None:
                found.append(message)
            return len(found)

        await service.eventually(more, lambda n: n >= want)
        return found


async def test_poison_is_dead_lettered_and_later_events_still_apply(
    start_analytics, history, caplog
):
    d = history()
    slot = d.slot(DAY, capacity=2)
    token = d.token(slot, Source.ONLINE).model_copy(update={"priority_score": 2**63})
    refused = d.allocated(token, d.held(slot, 1))  # a bigint overflows: PostgreSQL refuses it
    caplog.set_level(logging.WARNING, logger="opd_shared.event_batches")

    async with start_analytics() as service:
        await service.publish_raw(b"not json", "token.allocated", "m-not-json")
        await service.publish_raw(b'{"type": "token.allocated"}', "token.allocated", "m-partial")
        await service.publish(refused, d.registered())
        dead = await dead_letters(service, want=3)
        await service.eventually(service.facts, lambda n: n >= 1)
        facts = await service.facts()

    reasons = {m.message_id: m.headers["x-opd-reason"] for m in dead}
    assert reasons["m-not-json"].startswith("not an event: ValidationError")
    assert reasons["m-partial"].startswith("not an event: ValidationError")
    assert reasons[str(refused.event_id)] == (f"failed {ATTEMPT_LIMIT} times; last: "
                                              "DBAPIError (SQLSTATE 22000)")
    assert {m.headers["x-opd-queue"] for m in dead} == {
        service.runtime.settings.topology.consumer_queue("analytics")}
    assert not any(token.patient_name in reason for reason in reasons.values())
    assert facts == 1  # the registration; nothing of the refused event
    rejected = [r for r in caplog.records if r.getMessage().startswith("rejected message")]
    assert sorted(r.args[0] for r in rejected) == ["m-not-json", "m-partial"]
