"""Subscribing a batch consumer has the process's collector look at young objects less
often (`opd_shared.messaging.collecting`), and never more often than the process chose."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence

import pytest

from opd_shared.messaging import ACK, BatchConsumer, Batching, Delivery, Outcome
from opd_shared.messaging.collecting import YOUNG_BETWEEN_LOOKS, collect_less_often


@pytest.fixture(autouse=True)
def thresholds_kept() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


class Acking(BatchConsumer[bytes]):
    def decode(self, message) -> bytes:
        return bytes(message.body)

    async def handle(self, deliveries: Sequence[Delivery[bytes]]) -> Sequence[Outcome]:
        return [ACK] * len(deliveries)


async def test_subscribing_a_batch_consumer_has_young_objects_collected_less_often(
        monkeypatch):
    gc.set_threshold(700, 10, 10)  # CPython's default
    consumer = Acking("orders", "dead-letters", Batching(batch_max=10, window_s=0,
                                                         max_pause=0.001))

    async def opened(connection: object) -> None:
        pass

    monkeypatch.setattr(consumer.subscription, "open", opened)
    await consumer.consume(object())  # type: ignore[arg-type]
    await consumer.subscription.deliveries.put(None)
    await consumer.task  # type: ignore[misc]

    assert gc.get_threshold() == (YOUNG_BETWEEN_LOOKS, 10, 10)


def test_a_threshold_the_process_chose_higher_is_kept():
    gc.set_threshold(YOUNG_BETWEEN_LOOKS * 2, 20, 30)

    collect_less_often()

    assert gc.get_threshold() == (YOUNG_BETWEEN_LOOKS * 2, 20, 30)
