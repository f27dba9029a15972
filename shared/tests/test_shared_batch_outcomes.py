"""How a delivery's outcome follows from its items' (message contract v2: several commands
or events in one message), and how a batch is gathered from the deliveries waiting."""

from __future__ import annotations

import asyncio
import time

from opd_shared.messaging import ACK, DeadLetter, Retry, of_items
from opd_shared.messaging.gathering import Batching, next_batch
from opd_shared.settings import ReadModelSettings


def test_a_delivery_whose_items_are_all_done_is_acked():
    assert of_items([ACK, ACK, ACK]) == ACK
    assert of_items([]) == ACK


def test_one_hopeless_item_parks_its_delivery_with_every_hopeless_item_named():
    failed = Retry(ValueError("later"))

    outcome = of_items([ACK, DeadLetter("not a command"), failed, DeadLetter("bad slot")])

    assert outcome == DeadLetter("item 2 of 4: not a command; item 4 of 4: bad slot")


def test_a_failed_item_retries_its_whole_delivery():
    first, second = ValueError("first"), ValueError("second")

    outcome = of_items([ACK, Retry(first), Retry(second)])

    assert outcome == Retry(first)


def _waiting(*items: object) -> asyncio.Queue:
    queue: asyncio.Queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    return queue


async def _timed(queue: asyncio.Queue, batch_max: int, window_s: float):
    started = asyncio.get_running_loop().time()
    batch = await next_batch(queue, batch_max, window_s)
    return batch, asyncio.get_running_loop().time() - started


async def test_what_is_waiting_is_taken_at_once_up_to_the_most():
    queue = _waiting(1, 2, 3, 4, 5)

    batch, waited = await _timed(queue, batch_max=3, window_s=10)

    assert (batch, queue.qsize()) == ([1, 2, 3], 2)
    assert waited < 1  # a full batch does not wait for its window


async def test_a_batch_of_at_most_one_never_waits():
    batch, waited = await _timed(_waiting("lone"), batch_max=1, window_s=10)

    assert (batch, waited < 1) == (["lone"], True)


async def test_a_lone_delivery_waits_one_window_and_no_longer():
    batch, waited = await _timed(_waiting("lone"), batch_max=100, window_s=0.05)

    assert batch == ["lone"]
    assert 0.04 <= waited < 1


async def test_deliveries_arriving_within_the_window_join_the_batch():
    queue = _waiting("first")

    async def trickle() -> None:
        for item in ("second", "third"):
            await asyncio.sleep(0.01)
            queue.put_nowait(item)

    trickling = asyncio.create_task(trickle())
    batch, _ = await _timed(queue, batch_max=100, window_s=0.5)
    await trickling

    assert batch == ["first", "second", "third"]


async def test_a_stop_ends_the_batch_at_once_and_is_part_of_it():
    queue = _waiting("last", None, "after")

    batch, waited = await _timed(queue, batch_max=100, window_s=10)

    assert (batch, waited < 1, queue.qsize()) == (["last", None], True, 1)


async def test_a_read_models_batch_takes_the_messages_of_the_next_tenth_of_a_second():
    """A read model's transaction costs ~900 µs of CPU however few events it carries
    (queue-view's `bench/window_cost.py`): under load, the relay's messages come some 50 ms
    apart, and each should not be a transaction of its own."""
    batching = Batching.of(ReadModelSettings.model_construct())
    queue = _waiting("first")

    async def relay() -> None:
        for item in ("second", "third"):
            await asyncio.sleep(0.04)
            queue.put_nowait(item)

    relaying = asyncio.create_task(relay())
    batch, _ = await _timed(queue, batching.batch_max, batching.window_s)
    await relaying

    assert batch == ["first", "second", "third"]


async def test_a_delivery_arriving_as_the_window_closes_is_in_the_batch_or_still_queued():
    """The window's one timer may cut a wait short in the very turn of the loop in which a
    delivery came: it must then be in the batch or stay queued for the next, never vanish
    (nothing acknowledged is lost). The delivery comes just before the deadline and its
    callback holds the loop past it, so the wake-up and the timeout meet."""
    loop = asyncio.get_running_loop()
    window_s = 0.01

    def arrive(queue: asyncio.Queue, item: str) -> None:
        queue.put_nowait(item)
        time.sleep(window_s)  # the loop is busy until the deadline has passed

    for trial in range(5):
        queue = _waiting("first")
        loop.call_later(window_s * 0.8, arrive, queue, f"late-{trial}")
        batch = await next_batch(queue, batch_max=10, window_s=window_s)
        left = [queue.get_nowait() for _ in range(queue.qsize())]

        assert batch[0] == "first" and sorted(batch[1:] + left) == [f"late-{trial}"]
