"""What a refused booking (409 slot_full, with alternatives) costs both sides against an
accepted one: this process's CPU and PostgreSQL's backends' CPU a booking, in rounds of
`--sizes` bookings (round_meter.py).

Why: as the system bench's slots fill at 2,000 bookings/s, refusals become a large share of
the decisions (14,277 of ~114,000 answers), and each looks for alternatives: the doctor's
own slots and colleagues' slots with room, read from the database once a round
(adapters/repository.py's `alternative_candidates`).

`uv run python services/allocator/bench/refusal_cost.py [--sizes 1,28,60 --runs 3]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL) with 200 doctors of
10 specializations (as the system bench), one slot each tomorrow; `--full` of them (every
other ten, so each specialization has full and open colleagues) get slots of 5 places,
booked full first, the others slots of 500, room for the whole run. Every schedule is cached
(booked once) before measuring. Then, for each size, runs alternate between rounds of
bookings into open slots (accepted), rounds into full slots (refused) and rounds with one
booking into a full slot, the rest into open ones (one refused), `--rounds`
bookings a run, each round over many partitions' doctors (each partition's commands a
batch, as the consumers hand them over; all booked `online`, so nobody overtakes anybody,
as in the system bench); medians of `--runs`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import re
import statistics

from decide_bench import PARTITIONS, TOMORROW, Bench, booking, one_lane_bench

from opd_contracts import BookToken, OpenSlot, RegisterDoctor, Reply
from opd_shared.heap import settle_heap

_FIGURE = re.compile(r"(allocator|PostgreSQL) (\d+) us CPU|([\d.]+) (bookings) a round")


async def doctors(bench: Bench, count: int, full: int) -> tuple[list[dict], list[dict]]:
    """(open slots, full slots): one slot tomorrow per doctor, specializations in turn."""
    open_, full_ = [], []
    for n in range(count):
        [doctor] = await bench.decide([RegisterDoctor(name=f"Dr. R {n}",
                                                      specialization=f"Bench {n % 10}")])
        is_full = (n // 10) % 2 == 0 and len(full_) < full
        [slot] = await bench.decide([OpenSlot(
            doctor_id=doctor.result["id"], date=TOMORROW, start_time=dt.time(9),
            end_time=dt.time(10), max_capacity=5 if is_full else 500)])
        (full_ if is_full else open_).append(slot.result)
    for slot in full_:
        assert all(r.ok for r in await bench.decide([booking(slot, n) for n in range(5)]))
    for slot in open_:
        await bench.decide([booking(slot, 0)])  # every schedule cached
    return open_, full_


async def one_round(bench: Bench, commands: list[BookToken]) -> list[Reply]:
    """The commands, each partition's as a batch, decided in one round: the batches are
    handed to the lane while it is busy, so its next round takes them all (group_commit)."""
    batches: dict[int, list[BookToken]] = {}
    for command in commands:
        batches.setdefault(command.partition(PARTITIONS), []).append(command)
    lane = bench.deciders[0].group
    async with lane._turn:
        waiting = [asyncio.create_task(bench.decide(b)) for b in batches.values()]
        await asyncio.sleep(0)  # each batch joins the lane's waiting list
    return [r for replies in await asyncio.gather(*waiting) for r in replies]


async def rounds(bench: Bench, open_: list[dict], full: list[dict], size: int, count: int,
                 refused: int) -> dict[str, float]:
    """`count` bookings in rounds of `size`, `refused` of each round into full slots, each
    over the next slots in turn (so over many partitions and specializations, as the
    system's rounds are)."""
    opened, filled, numbers = itertools.cycle(open_), itertools.cycle(full), itertools.count()
    await bench.meter.start()
    for _ in range(count // size):
        replies = await one_round(bench, [
            booking(next(filled if n < refused else opened), next(numbers) * 4)  # all online:
            for n in range(size)])  # nobody overtakes anybody, as in the system bench
        assert sum(not r.ok for r in replies) == refused, replies[0]
    figures = await bench.meter.stop(count // size * size)
    return {side or kind: float(us or size)
            for side, us, size, kind in _FIGURE.findall(figures)}


async def main(args: argparse.Namespace) -> None:
    async with one_lane_bench() as (bench, _):
        open_, full = await doctors(bench, 200, args.full)
        settle_heap(50_000)
        for size in args.sizes:
            kinds = {"accepted": 0, "refused": size, **({"one refused": 1} if size > 1 else {})}
            spent: dict[str, dict[str, list[float]]] = {
                kind: {"allocator": [], "PostgreSQL": [], "bookings": []} for kind in kinds}
            for run in range(args.runs * len(kinds)):
                kind = list(kinds)[run % len(kinds)]
                figures = await rounds(bench, open_, full, size, args.rounds, kinds[kind])
                for side, us in figures.items():
                    spent[kind][side].append(us)
            for kind, sides in spent.items():
                print(f"rounds of {size}, {kind}: " + "; ".join(
                    f"{side} {statistics.median(us):.0f}"
                    f"{' a round' if side == 'bookings' else ' us CPU a booking'}"
                    f" ({', '.join(f'{u:.0f}' for u in us)})" for side, us in sides.items()),
                    flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(n) for n in s.split(",")],
                        default=[1, 28, 60])
    parser.add_argument("--rounds", type=int, default=1200, help="bookings a run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full", type=int, default=100, help="doctors with full slots")
    asyncio.run(main(parser.parse_args()))
