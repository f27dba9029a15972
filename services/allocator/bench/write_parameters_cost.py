"""What asyncpg's encoding of a round's parameters costs this process: the write statement's
records and start_round's arrays as the rounds hand them over, against the same call with
every parameter NULL (nothing to encode), and against the records as tuples in their row
type's order (asyncpg's composite codec turns a mapping into that tuple itself).

Why: a profile of a round of one booking counted 59 `ABCMeta.__instancecheck__` calls in
asyncpg's execution of the round's statements. They are its array and composite codecs'
checks (`_is_array_iterable`: Iterable, Sized and Mapping for each array parameter and for
each of its elements, one (Iterable) for a scalar element; `encode_composite`: Mapping for
each record, a tuple's too); this bench counts them for one call of each statement, and
measures what the encoding costs as a whole (`--parts`: each parameter's share;
`--checks`: the same calls with those checks made against concrete types, what they cost).

`uv run python services/allocator/bench/write_parameters_cost.py [--calls 2000 --runs 5
--parts --checks]`

Creates a fresh database (`bench_<hex>_allocator` on OPD_POSTGRES_URL), books each of 480
doctors once (schedules cached, each day's counter made), then decides a round of one
booking and a round of 28 (one a doctor of one partition, as decide_bench's concurrent part's
rounds) and keeps the parameters their statements were handed. Each set goes `--calls` times
to a probe statement with the same parameter types (`SELECT CAST($n AS type) IS NULL, ...`:
the server only decodes them), the ways taking turns call by call (the machine is shared),
and the medians of `--runs` of this process's CPU a call are printed. The probe's round trip
is in every way's figure; the differences between them are the encoding.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg.protocol.protocol as asyncpg_protocol
from decide_bench import PARTITIONS, Bench, booking
from round_meter import RoundMeter
from scratch import scratch_database
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.ownership import claim
from allocator.adapters.unit_of_work import SqlTransactions
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.group_commit import GroupCommit
from opd_contracts.topology import partition_of_doctor
from opd_shared.driver_statement import DriverStatement

_CAST = re.compile(r"CAST\((\$\d+) AS ([a-z_]+(?:\[\])?)\)")


def probe(sql: str) -> str:
    """A statement taking the same parameters as `sql`, doing nothing with them."""
    return "SELECT " + ", ".join(f"CAST({n} AS {t}) IS NULL" for n, t in _CAST.findall(sql))


async def captured_rounds(bench: Bench, slots: list[dict]) -> dict[str, tuple[str, list]]:
    """The statements and arguments of a round of one booking and a round of 28, each read
    first (start_round's arrays are among the parameters measured)."""
    seen: list[tuple[str, list]] = []
    original = DriverStatement.fetch

    async def keeping(self: DriverStatement, connection: Any, parameters: Any,
                      attributes: Any) -> list[Any]:
        seen.append((self.sql, self.arguments(parameters)))
        return await original(self, connection, parameters, attributes)

    DriverStatement.fetch = keeping  # type: ignore[method-assign]
    transactions = bench.deciders[0].group.transactions
    transactions.unread = False
    try:
        await bench.decide([booking(slots[0], 1)])
        one = list(seen)
        seen.clear()
        partition = partition_of_doctor(slots[0]["doctor_id"], PARTITIONS)
        same = [s for s in slots if partition_of_doctor(s["doctor_id"], PARTITIONS)
                == partition][:28]
        await bench.decide([booking(s, 2 + n) for n, s in enumerate(same)])
        many = list(seen)
    finally:
        DriverStatement.fetch = original  # type: ignore[method-assign]
        transactions.unread = True
    return {"start_round, round of 1": one[0], "write, round of 1": one[1],
            f"write, round of {len(same)}": many[1]}


async def row_orders(connection: Any) -> dict[str, tuple[str, ...]]:
    rows = await connection.fetch(
        "SELECT c.relname, array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = ANY($1) AND a.attnum > 0"
        " AND NOT a.attisdropped GROUP BY c.relname",
        ["slots", "tokens", "token_counters", "outbox", "inbox"])
    return {name: tuple(columns) for name, columns in rows}


def as_tuples(sql: str, arguments: list, orders: dict[str, tuple[str, ...]]) -> list:
    """The same records as tuples in their row type's order."""
    types = dict(_CAST.findall(sql))
    out = []
    for n, argument in enumerate(arguments, start=1):
        table = types[f"${n}"].removesuffix("[]")
        if table in orders and isinstance(argument, list):
            names = orders[table]
            argument = [tuple(r.get(name) for name in names) for r in argument]
        out.append(argument)
    return out


# `--checks`: asyncpg's codecs' ABCs (module globals of its protocol, private names: for this
# measurement only) swapped for the concrete types a round hands over, whose isinstance is
# not a Python call.
_CONCRETE = {"MappingABC": (dict,), "IterableABC": (list, tuple, dict, str),
             "SizedABC": (list, tuple, dict, str)}
_ABCS = {name: getattr(asyncpg_protocol, name) for name in _CONCRETE}
CONCRETE_CHECKS = "as handed over, concrete checks"


def _checks(concrete: bool) -> None:
    for name, types in _CONCRETE.items():
        setattr(asyncpg_protocol, name, types if concrete else _ABCS[name])


async def instancechecks(call: Callable[[], Awaitable[Any]], concrete: bool) -> int:
    """How many `ABCMeta.__instancecheck__` calls awaiting `call()` makes (nothing else runs
    in this bench meanwhile)."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call" and frame.f_code is abc.ABCMeta.__instancecheck__.__code__:
            count += 1

    _checks(concrete)
    sys.setprofile(profile)
    try:
        await call()
    finally:
        sys.setprofile(None)
        _checks(False)
    return count


async def measure(connection: Any, sql: str, ways: dict[str, list], calls: int,
                  runs: int) -> dict[str, list[float]]:
    """Each way's CPU a call, the ways taking turns call by call (the machine is shared: its
    load moves within a run)."""
    statement = await connection.prepare(sql)
    figures: dict[str, list[float]] = {way: [] for way in ways}
    clock = time.process_time_ns
    for _ in range(runs):
        spent = dict.fromkeys(ways, 0)
        for n in range(calls + 50):
            for way, arguments in ways.items():
                _checks(way == CONCRETE_CHECKS)
                start = clock()
                await statement.fetch(*arguments)
                if n >= 50:  # the first calls warm up
                    spent[way] += clock() - start
        _checks(False)
        for way, ns in spent.items():
            figures[way].append(ns / calls / 1000)
    return figures


async def main(args: argparse.Namespace) -> None:
    async with scratch_database({"pool_size": 10}, partitions=PARTITIONS) as (settings, engine):
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        lane = GroupCommit(SqlTransactions(sessions, PARTITIONS, Policy(FairnessPolicy(10)),
                                           settings.schedule_cache_doctors), settings.timezone)
        deciders = [BatchDecider(p, partial(claim, sessions), lane) for p in range(PARTITIONS)]
        try:
            for decider in deciders:
                await decider.claim("bench")
            bench = Bench(deciders, RoundMeter(engine))
            slots = await bench.doctors(480, 1, 500)  # about 30 a partition
            for slot in slots:  # every schedule cached, every day's counter made
                await bench.decide([booking(slot, 0)])
            captured = await captured_rounds(bench, slots)
        finally:
            await lane.forget()
        async with engine.connect() as held:
            connection = (await held.get_raw_connection()).driver_connection
            orders = await row_orders(connection)
            for name, (sql, arguments) in captured.items():
                ways = {"as handed over": arguments,
                        **({CONCRETE_CHECKS: arguments} if args.checks else {}),
                        "records as tuples": as_tuples(sql, arguments, orders),
                        "all NULL": [None] * len(arguments)}
                types = [t for _, t in _CAST.findall(sql)]
                if args.parts:  # each parameter alone, the others NULL
                    ways.update({f"only {types[n]} ({len(a) if isinstance(a, list) else 1})":
                                 [b if m == n else None for m, b in enumerate(arguments)]
                                 for n, a in enumerate(arguments)})
                statement = await connection.prepare(probe(sql))
                checks = {way: await instancechecks(partial(statement.fetch, *a),
                                                    concrete=way == CONCRETE_CHECKS)
                          for way, a in ways.items()}
                figures = await measure(connection, probe(sql), ways, args.calls, args.runs)
                print(f"{name} ({len(arguments)} parameters): " + "; ".join(
                    f"{way} {statistics.median(us):.1f} us a call"
                    f" ({', '.join(f'{u:.1f}' for u in us)}; {checks[way]} instance checks)"
                    for way, us in figures.items()), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checks", action="store_true",
                        help="as handed over with asyncpg's ABC checks made concrete too")
    parser.add_argument("--parts", action="store_true",
                        help="each parameter alone too (its rows' share of the encoding)")
    asyncio.run(main(parser.parse_args()))
