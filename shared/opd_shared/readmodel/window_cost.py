"""What a read model's consumer spends per event when events trickle in as under load, by
batch window: the real `EventBatchConsumer` on the broker, the read model's applier on a
database of its own. Each service's `bench/window_cost.py` says which read model.

Why: a transaction costs about the same for a few events as for fifty (~900 µs of
queue-view's CPU, 1-1.5 ms of analytics' and the notifier's), so the CPU an event depends
mostly on how many events a transaction holds, and that is set by how many messages arrive
within the consumer's window (`OPD_BATCH_WINDOW_SECONDS`) and while the last transaction
ran. `apply_cost` hands over batches of a fixed size and cannot show it.

Messages of `--per-message` events (the allocator's relay sent 21 a message at 1,000
bookings/s offered) are published at `--rate` events a second, from a thread of their own,
to the bench's own namespace; the events are `apply_cost`'s workload. Printed: the consumer
thread's CPU (time.thread_time: aio-pika, decoding, SQLAlchemy, asyncpg) an event, the mean
events a transaction, and the median time from publishing a message until its transaction
committed. The queue, exchanges and database are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence

import aio_pika
from sqlalchemy.ext.asyncio import async_sessionmaker

from opd_contracts import EventBatch, EventEnvelope
from opd_shared.database import Pool, drop_database, migrate, new_engine
from opd_shared.event_batches import EventBatchConsumer
from opd_shared.heap import settle_heap
from opd_shared.readmodel.apply_cost import ReadModelUnderTest, plan
from opd_shared.settings import ReadModelSettings

__all__ = ["main", "measure"]

CONSUMER = "bench"


def _publish(settings: ReadModelSettings, messages: list[list[EventEnvelope]], rate: float,
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


async def measure(model_of: Callable[[str], ReadModelUnderTest], window: float, rate: float,
                  per_message: int, seconds: float) -> str:
    settings = ReadModelSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}",
                                 batch_window_seconds=window, log_level="WARNING")
    model = model_of(settings.namespace)
    events = max(per_message, int(rate * seconds))
    seeding, measured = plan(200, 250, events // 20 + 1, 13)
    flat = [event for batch in measured for event in batch][:events]
    messages = [flat[i:i + per_message] for i in range(0, len(flat), per_message)]
    await migrate(model.database_url, model.migrations)
    engine = new_engine(model.database_url, Pool(2, 0), connect_args=model.connect_args)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    sizes: list[int] = []
    committed: dict[uuid.UUID, float] = {}
    everything = asyncio.Event()

    async def apply(batch: Sequence[EventEnvelope]) -> list[bool]:
        await model.apply(sessions, list(batch))
        now = time.perf_counter()
        sizes.append(len(batch))
        committed.update((event.event_id, now) for event in batch)
        if sum(sizes) >= len(flat):
            everything.set()
        return [True] * len(batch)

    consumer = EventBatchConsumer.for_read_model(CONSUMER, settings, apply)
    sent: dict[uuid.UUID, float] = {}
    try:
        for batch in seeding:
            await model.apply(sessions, batch)
        await consumer.start()
        publisher = threading.Thread(target=_publish, args=(settings, messages, rate, sent))
        cpu = time.thread_time()
        publisher.start()
        await everything.wait()
        cpu = time.thread_time() - cpu
        publisher.join()
    finally:
        await consumer.stop()
        await _delete(settings)
        await engine.dispose()
        await drop_database(model.database_url)
    lag = statistics.median(committed[first] - at for first, at in sent.items()) * 1e3
    return (f"{model.name} window {window * 1e3:4.0f} ms: {cpu / len(flat) * 1e6:5.0f} µs CPU"
            f" an event, {len(flat) / len(sizes):5.1f} events a transaction, {lag:4.0f} ms"
            f" from publish to commit (median); {len(flat)} events at {rate:.0f}/s,"
            f" {per_message} a message")


async def _delete(settings: ReadModelSettings) -> None:
    topology = settings.topology
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(topology.consumer_queue(CONSUMER))
        await channel.queue_delete(topology.dead_letter_queue)
        await channel.exchange_delete(topology.events_exchange)
        await channel.exchange_delete(topology.dead_letter_exchange)


def main(model_of: Callable[[str], ReadModelUnderTest]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--window", type=float, help="seconds; the read models' default "
                        f"({ReadModelSettings.model_construct().batch_window_seconds})")
    parser.add_argument("--rate", type=float, default=450, help="events a second")
    parser.add_argument("--per-message", type=int, default=21)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    window = (ReadModelSettings.model_construct().batch_window_seconds
              if args.window is None else args.window)
    settle_heap(ReadModelSettings.model_construct().gc_young_threshold)  # as a service has it
    print(asyncio.run(measure(model_of, window, args.rate, args.per_message, args.seconds)))
