"""What a call of the outbox relay costs: this process's CPU and PostgreSQL's, per call and
per event, without a broker (the exchange only takes the messages).

`uv run python services/allocator/bench/relay_costs.py [--calls 300 --events 1 22 --runs 3]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL), writes `--calls`
partitions' worth of unpublished events (`--events` each, as many rounds' events as a call
finds: 1 below saturation, about 22 at 1,000 bookings/s offered), then relays each
partition in a call of its own, as the relay does after a round, and prints the figures
(round_meter.py: this process, the database's backends, the statements), medians of `--runs`,
for calls on one connection held throughout (as the relay's) and on one taken from the pool
each call (as the sweeper's), alternated. On uvloop, as the allocator runs (asyncio's own
loop made a call of one event ~390 us of this process's CPU, uvloop ~210).
"""

from __future__ import annotations

import argparse
import re
import statistics
from typing import Any

import uvloop
from round_meter import RoundMeter
from scratch import scratch_database
from sqlalchemy import text

from allocator.adapters.relay import relay_on, relay_outbox
from allocator.adapters.relay_connections import relay_connections

EVENTS = text(
    "INSERT INTO outbox (partition, routing_key, event, created_at) SELECT p,"
    " 'token.allocated', jsonb_build_object('event_id', gen_random_uuid(), 'seq', e,"
    " 'pad', repeat('x', 300)), now()"
    " FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS p,"
    " generate_series(1, CAST(:events AS integer)) AS e")
_FIGURE = re.compile(r"(allocator|PostgreSQL) (\d+) us CPU")


class Exchange:
    """Takes the messages; the broker's confirms are not what is measured."""

    async def publish(self, message: Any, routing_key: str) -> None:
        pass


async def run(calls: int, events: int, first: int, engine: Any, meter: RoundMeter,
              relaying: Any, held: bool) -> dict[str, float]:
    """`held`: on one connection held throughout, as the relay calls (`relay_on`); else on
    one taken from the pool for each call, as the sweeper calls (`relay_outbox`)."""
    async with engine.begin() as connection:
        await connection.execute(EVENTS, {"first": first, "last": first + calls - 1,
                                          "events": events})
    exchange = Exchange()
    await meter.start()
    if held:
        async with relaying.acquire() as connection:
            for partition in range(first, first + calls):
                assert await relay_on(connection, exchange, [partition]) == events  # type: ignore[arg-type]
    else:
        for partition in range(first, first + calls):
            assert await relay_outbox(relaying, exchange, [partition]) == events  # type: ignore[arg-type]
    figures = await meter.stop(calls)
    return {side: float(us) for side, us in _FIGURE.findall(figures)}


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as (settings, engine):
        meter = RoundMeter(engine)
        await meter.install()
        relaying = await relay_connections(settings.database_url)
        try:
            first = 0
            for events in args.events:
                spent: dict[tuple[bool, str], list[float]] = {
                    (held, side): [] for held in (True, False)
                    for side in ("allocator", "PostgreSQL")}
                for _ in range(args.runs):
                    for held in (True, False):  # alternated
                        for side, us in (await run(args.calls, events, first, engine, meter,
                                                   relaying, held)).items():
                            spent[held, side].append(us)
                        first += args.calls
                for held in (True, False):
                    print(f"{events} events a call, {'a held' if held else 'a pooled'}"
                          " connection: " + "; ".join(
                              f"{side} {statistics.median(us):.0f} us CPU a call"
                              f" ({min(us):.0f}-{max(us):.0f}),"
                              f" {statistics.median(us) / events:.0f} an event"
                              for (h, side), us in spent.items() if h == held), flush=True)
        finally:
            await relaying.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--events", type=int, nargs="+", default=[1, 22])
    parser.add_argument("--runs", type=int, default=3)
    uvloop.run(main(parser.parse_args()))  # the loop the allocator runs on
