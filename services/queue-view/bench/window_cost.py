"""What queue-view's consumer spends per event when events trickle in as under load, by
batch window: the real `EventBatchConsumer` and applier, the broker, a database of its own.

Why: applying a transaction costs about the same for a few events as for fifty (measured
with `bench/apply_cost.py`'s workload: ~900 µs of this process's CPU a transaction), so the
CPU an event depends mostly on how many events a transaction carries, and that is set by
how many messages arrive within the consumer's window (`OPD_BATCH_WINDOW_SECONDS`) and
while the last transaction ran. `apply_cost.py` hands over batches of a fixed size and
cannot show it.

`uv run --no-sync python services/queue-view/bench/window_cost.py [--window 0.1]
[--rate 450 --per-message 21 --seconds 20]`

Messages of `--per-message` events (the allocator's relay sent 21 a message at 1,000
bookings/s offered) are published at `--rate` events a second, from a thread of their own,
to the bench's own namespace; the workload is `opd_shared.readmodel.apply_cost`'s. Printed:
the consumer thread's CPU (time.thread_time: aio-pika, decoding, SQLAlchemy, asyncpg) an
event, the mean events a transaction, and the median time from publishing a message until
its transaction committed. The queue, exchanges and database are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from collections.abc import Sequence

import aio_pika
from sqlalchemy.ext.asyncio import async_sessionmaker

from opd_contracts import EventBatch, EventEnvelope
from opd_shared.database import Pool, drop_database, migrate, new_engine
from opd_shared.heap import settle_heap
from opd_shared.readmodel.apply_cost import plan
from queue_view.bootstrap import MIGRATIONS_DIR
from queue_view.consumer import CONSUMER, build_consumer, make_applier
from queue_view.settings import QueueViewSettings


def _publish(settings: QueueViewSettings, messages: list[list[EventEnvelope]], rate: float,
             sent: dict[uuid.UUID, float]) -> None:
    """In a thread and event loop of its own, so that its CPU is not the consumer's."""
    async def run() -> None:
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            exchange = await (await connection.channel()).get_exchange(
                settings.topology.events_exchange)
            start = time.perf_counter()
            done = 0
            for events in messages:
                await asyncio.sleep(max(0.0, start + done / rate - time.perf_counter()))
                body = EventBatch(events=events).model_dump_json().encode()
                sent[events[0].event_id] = time.perf_counter()
                await exchange.publish(aio_pika.Message(body), routing_key=events[0].type.value)
                done += len(events)

    asyncio.run(run())


async def measure(window: float, rate: float, per_message: int, seconds: float) -> str:
    settings = QueueViewSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}",
                                 batch_window_seconds=window, log_level="WARNING")
    events = max(per_message, int(rate * seconds))
    seeding, measured = plan(200, 250, events // 20 + 1, 13)
    flat = [event for batch in measured for event in batch][:events]
    messages = [flat[i:i + per_message] for i in range(0, len(flat), per_message)]
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = new_engine(settings.database_url, Pool(2, 0))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    applier = make_applier(sessions)
    sizes: list[int] = []
    committed: dict[uuid.UUID, float] = {}
    everything = asyncio.Event()

    async def apply(batch: Sequence[EventEnvelope]) -> list[bool]:
        answers = await applier(batch)
        now = time.perf_counter()
        sizes.append(len(batch))
        committed.update((event.event_id, now) for event in batch)
        if sum(sizes) >= len(flat):
            everything.set()
        return answers

    consumer = build_consumer(settings, apply)
    sent: dict[uuid.UUID, float] = {}
    try:
        for batch in seeding:
            await applier(batch)
        await consumer.start()
        publisher = threading.Thread(target=_publish,
                                     args=(settings, messages, rate, sent))
        cpu = time.thread_time()
        publisher.start()
        await everything.wait()
        cpu = time.thread_time() - cpu
        publisher.join()
    finally:
        await consumer.stop()
        await _delete(settings)
        await engine.dispose()
        await drop_database(settings.database_url)
    lag = statistics.median(committed[first] - at for first, at in sent.items()) * 1e3
    return (f"window {window * 1e3:5.0f} ms: {cpu / len(flat) * 1e6:5.0f} µs CPU an event,"
            f" {len(flat) / len(sizes):5.1f} events a transaction, {lag:4.0f} ms from publish"
            f" to commit (median); {len(flat)} events at {rate:.0f}/s, {per_message} a message")


async def _delete(settings: QueueViewSettings) -> None:
    topology = settings.topology
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(topology.consumer_queue(CONSUMER))
        await channel.queue_delete(topology.dead_letter_queue)
        await channel.exchange_delete(topology.events_exchange)
        await channel.exchange_delete(topology.dead_letter_exchange)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--window", type=float, default=QueueViewSettings.model_construct()
                        .batch_window_seconds, help="the service's default")
    parser.add_argument("--rate", type=float, default=450, help="events a second")
    parser.add_argument("--per-message", type=int, default=21)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    settle_heap(QueueViewSettings.model_construct().gc_young_threshold)  # as a service has it
    print(asyncio.run(measure(args.window, args.rate, args.per_message, args.seconds)))


if __name__ == "__main__":
    main()
