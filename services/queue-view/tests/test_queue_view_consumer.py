"""The handler in isolation (FastStream's TestRabbitBroker, no real broker or database)."""

from __future__ import annotations

import pytest
from faststream.rabbit import TestRabbitBroker

from opd_shared.contracts import EventEnvelope, EventType
from queue_view.consumer import CONSUMER, build_broker
from queue_view.settings import QueueViewSettings

SETTINGS = QueueViewSettings(_env_file=None, namespace="unit")  # type: ignore[call-arg]
QUEUE = SETTINGS.topology.consumer_queue(CONSUMER)


class RecordingApplier:
    def __init__(self, fails: bool = False) -> None:
        self.applied: list[EventEnvelope] = []
        self.fails = fails

    async def __call__(self, event: EventEnvelope) -> bool:
        if self.fails:
            raise RuntimeError("refused: not an outage")
        self.applied.append(event)
        return True


async def test_a_valid_event_is_parsed_and_applied(events) -> None:
    applier = RecordingApplier()
    event = events.event(EventType.SLOT_OPENED, slots=[events.slot()])

    async with TestRabbitBroker(build_broker(SETTINGS, applier)) as broker:
        await broker.publish(event.model_dump_json(), queue=QUEUE)

    assert applier.applied == [event]


async def test_a_body_that_is_not_an_event_is_rejected_with_a_log_line(caplog) -> None:
    applier = RecordingApplier()

    async with TestRabbitBroker(build_broker(SETTINGS, applier)) as broker:
        await broker.publish(b'{"type": "slot.opened"}', queue=QUEUE, message_id="bad-1")

    assert applier.applied == []
    assert any("rejected message bad-1" in r.getMessage() for r in caplog.records)


async def test_a_failure_to_apply_propagates_so_the_message_is_not_acked(events) -> None:
    applier = RecordingApplier(fails=True)
    event = events.event(EventType.SLOT_OPENED, slots=[events.slot()])

    async with TestRabbitBroker(build_broker(SETTINGS, applier)) as broker:
        with pytest.raises(RuntimeError, match="not an outage"):
            await broker.publish(event.model_dump_json(), queue=QUEUE)
