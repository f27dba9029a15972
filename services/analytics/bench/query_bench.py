"""How fast the management reports answer over a month of a large hospital.

`uv run python services/analytics/bench/query_bench.py [--days 30 --per-day 15000]`

Creates a fresh database (`bench_<hex>_analytics` on OPD_POSTGRES_URL), COPYs a synthetic
month into it, times each report and one token's audit trail (median of several runs,
serialization included), prints a table, and drops the database. Rows are what the
projection would have written: token rows come from the projection's `token_row`, roll-ups
from `rollups_of` over those rows, and the tests prove the event-by-event roll-ups equal
`rollups_of` of the final rows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
import uuid
from zoneinfo import ZoneInfo

from loading import load_month
from synthetic import make_month

from analytics.audit import token_history, token_id_of
from analytics.database import MIGRATIONS_DIR, create_engine, create_session_factory
from analytics.filters import Filters
from analytics.queries import doctor_day, system_status
from analytics.reports.arrivals import arrivals_report
from analytics.reports.moves import moves_report
from analytics.reports.tokens import tokens_report
from analytics.reports.utilisation import utilisation_report
from analytics.reports.waits import waits_report
from analytics.settings import AnalyticsSettings
from opd_contracts.vocabulary import Source
from opd_shared.database import drop_database, migrate

FIRST = dt.date(2026, 1, 1)
REPORTS = {"tokens": tokens_report, "utilisation": utilisation_report, "waits": waits_report,
           "arrivals": arrivals_report, "moves": moves_report}


def scenarios(days: int) -> dict[str, Filters]:
    last = FIRST + dt.timedelta(days=days - 1)
    return {
        "month": Filters(FIRST, last),
        "month, 1 doctor": Filters(FIRST, last, doctor_id=7),
        "month, 1 specialization": Filters(FIRST, last, specialization="Cardiology"),
        "month, walk-ins": Filters(FIRST, last, source=Source.WALK_IN),
        "one day": Filters(last, last),
    }


async def timed(call, runs: int) -> float:  # type: ignore[no-untyped-def]
    await call()  # warm the cache and the plan, as a dashboard in use would have
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def measure(sessions, days: int, runs: int) -> list[tuple[str, str, float]]:  # type: ignore[no-untyped-def]
    results = []
    for label, filters in scenarios(days).items():
        for name, build in REPORTS.items():
            async def call(build=build, filters=filters) -> None:  # type: ignore[no-untyped-def]
                async with sessions() as session:
                    (await build(session, filters)).model_dump_json(by_alias=True)
            results.append((name, label, await timed(call, runs)))
    return results


async def measure_lookups(sessions, days, token, runs) -> list[tuple[str, str, float]]:  # type: ignore[no-untyped-def]
    """The v1 figures of one day, and one token's audit trail (by id, by number)."""
    day = FIRST + dt.timedelta(days=days - 1)

    async def by_number(session):  # type: ignore[no-untyped-def]
        return await token_history(session, await token_id_of(session, token["token_number"]))

    queries = {"system/status": ("one day", lambda s: system_status(s, day)),
               "doctors/{id}/day": ("one day", lambda s: doctor_day(s, 7, day)),
               "tokens/{id}/history": ("one token", lambda s: token_history(s, token["id"])),
               "tokens/number/{n}/history": ("one token", by_number)}
    results = []
    for name, (label, query) in queries.items():
        async def call(query=query) -> None:  # type: ignore[no-untyped-def]
            async with sessions() as session:
                await query(session)
        results.append((name, label, await timed(call, runs)))
    return results


def table(results: list[tuple[str, str, float]]) -> str:
    labels = list(dict.fromkeys(label for _, label, _ in results))
    names = list(dict.fromkeys(name for name, _, _ in results))
    cell = {(n, lab): ms for n, lab, ms in results}
    lines = [f"{'median ms':<18}" + "".join(f"{lab:>26}" for lab in labels)]
    for name in names:
        lines.append(f"{name:<18}" + "".join(
            f"{cell[name, lab]:>26.1f}" if (name, lab) in cell else f"{'':>26}" for lab in labels))
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    settings = AnalyticsSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}")
    zone = ZoneInfo(settings.timezone)
    started = time.perf_counter()
    month = make_month(FIRST, args.days, args.doctors, args.per_day, zone)
    print(f"made {len(month.tokens):,} tokens, {len(month.slots):,} slots, "
          f"{month.events:,} events in {time.perf_counter() - started:.0f} s")
    await migrate(settings.database_url, MIGRATIONS_DIR)
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        await load_month(settings.database_url, month, zone, facts=not args.no_facts)
        print(f"loaded into {settings.namespace}_analytics in "
              f"{time.perf_counter() - started:.0f} s")
        sessions, token = create_session_factory(engine), month.tokens[len(month.tokens) // 2]
        results = await measure(sessions, args.days, args.runs)
        results += await measure_lookups(sessions, args.days, token, args.runs)
        print(table(results))
    finally:
        await engine.dispose()
        if not args.keep:
            await drop_database(settings.database_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=15_000, help="tokens a day")
    parser.add_argument("--doctors", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure")
    parser.add_argument("--no-facts", action="store_true", help="skip the event fact table")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    asyncio.run(main(parser.parse_args()))
