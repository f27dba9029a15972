"""What a round of one booking costs both sides: this process's CPU and PostgreSQL's backends'
CPU a round, with the bookings spread over many doctors' slots so that a booking's own work
(the fairness scan over its slot's tokens) stays small and what is left is mostly the round's
fixed cost (BEGIN, start_round, the write statement, COMMIT and the frame around them), and
optionally the relay's call after each round.

Why not decide_bench's `sequential` part: it fills one slot, so each booking scans the slot's
hundreds of tokens (half its CPU by the end), and its heap is not settled as the service's is
(`opd_shared.heap`): a tenth of its CPU was garbage collection.

`uv run python services/allocator/bench/round_cost.py [--rounds 1000 --runs 3 --relay]`
`... round_cost.py --alone-or-not --runs 8`: runs alternate between rounds that may be alone
(no transaction of their own, adapters/unit_of_work.py) and rounds fenced from their start,
in one process on one database: a comparison that the machine's swings disturb less than
alternated processes do. `... round_cost.py --read-or-not --runs 8`: the same between
rounds alone that skip their reads (a round unread, adapters/unit_of_work.py) and rounds
alone that read first.

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL), books `--rounds`
bookings one a round over 200 doctors' slots of 500 places (warm: every doctor is booked
once first), and prints medians of `--runs` (round_meter.py), then drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
from typing import Any

from decide_bench import PARTITIONS, Bench, booking, one_lane_bench, settle_as_service

from allocator.adapters.relay import relay_outbox
from allocator.adapters.relay_connections import relay_connections
from opd_contracts.topology import partition_of_doctor

_FIGURE = re.compile(r"(allocator|PostgreSQL) (\d+) us CPU")


class Exchange:
    """Takes the relay's messages; the broker's confirms are not what is measured."""

    async def publish(self, message: Any, routing_key: str) -> None:
        pass


async def rounds(bench: Bench, slots: list[dict], count: int, first: int,
                 relaying: Any) -> dict[str, float]:
    await bench.meter.start()
    for n in range(first, first + count):
        slot = slots[n % len(slots)]
        await bench.decide([booking(slot, n)])
        if relaying is not None:
            await relay_outbox(relaying, Exchange(),  # type: ignore[arg-type]
                               [partition_of_doctor(slot["doctor_id"], PARTITIONS)])
    figures = await bench.meter.stop(count)
    return {side: float(us) for side, us in _FIGURE.findall(figures)}


async def main(args: argparse.Namespace) -> None:
    async with one_lane_bench() as (bench, settings):
        relaying = await relay_connections(settings.database_url) if args.relay else None
        try:
            slots = await bench.doctors(200, 1, 500)
            await rounds(bench, slots, len(slots), 0, relaying)  # every schedule cached
            settle_as_service(args.unfrozen)
            transactions = bench.deciders[0].group.transactions
            kinds = (("alone", "fenced from the start") if args.alone_or_not else
                     ("unread", "reading first") if args.read_or_not else ("",))
            spent = {kind: {"allocator": [], "PostgreSQL": []} for kind in kinds}
            for run in range(args.runs):
                kind = kinds[run % len(kinds)]
                transactions.alone = kind != "fenced from the start"
                transactions.unread = kind != "reading first"
                figures = await rounds(bench, slots, args.rounds, (run + 1) * args.rounds,
                                       relaying)
                for side, us in figures.items():
                    spent[kind][side].append(us)
            relay = " and a relay call" if args.relay else ""
            for kind, sides in spent.items():
                print(f"rounds of one booking{relay}{f' ({kind})' if kind else ''}: "
                      + "; ".join(f"{side} {statistics.median(us):.0f} us CPU a round"
                                  f" ({', '.join(f'{u:.0f}' for u in us)})"
                                  for side, us in sides.items()), flush=True)
        finally:
            if relaying is not None:
                await relaying.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--relay", action="store_true")
    parser.add_argument("--alone-or-not", action="store_true")
    parser.add_argument("--read-or-not", action="store_true")
    parser.add_argument("--unfrozen", action="store_true")
    asyncio.run(main(parser.parse_args()))
