"""The same figures read back from analytics, compared, and polled until they settle.

Hospital-wide counts (system/status of each date) are taken as the change since the day
began, so earlier days' tokens on the same dates do not count; the reports are asked per
doctor of this run (their ids are new) over today and tomorrow and summed, medians compared
doctor by doctor. Analytics follows the allocator's events, normally within a second: the
check asks again until everything agrees or `seconds` have passed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

from opd_ops.sim.client import Api
from opd_ops.sim.figures import METRICS, STATUSES, Figures
from opd_ops.sim.scenario import SOURCES

__all__ = ["Row", "baseline", "compare", "settle"]

Baseline = dict[dt.date, dict[str, Any]]


@dataclass(frozen=True)
class Row:
    label: str
    observed: Any
    reported: Any

    @property
    def ok(self) -> bool:
        return self.observed == self.reported


async def baseline(api: Api, dates: list[dt.date]) -> Baseline:
    return {d: await api.report("/system/status", date=d.isoformat()) for d in dates}


def _since(now: dict[str, int], before: dict[str, int], keys: tuple[str, ...]) -> dict:
    return {k: now.get(k, 0) - before.get(k, 0) for k in keys}


async def _hospital(api: Api, before: Baseline) -> Figures:
    figures: Figures = {}
    for date, then in before.items():
        now = await api.report("/system/status", date=date.isoformat())
        figures["doctors registered"] = now["total_doctors"] - then["total_doctors"]
        figures[f"{date} slots"] = now["total_slots_today"] - then["total_slots_today"]
        figures[f"{date} tokens"] = now["total_tokens_today"] - then["total_tokens_today"]
        figures[f"{date} by status"] = _since(now["tokens_by_status"],
                                              then["tokens_by_status"], STATUSES)
        figures[f"{date} by source"] = _since(now["tokens_by_source"],
                                              then["tokens_by_source"], SOURCES)
    return figures


async def _doctor(api: Api, doctor_id: int, span: dict[str, str]) -> dict[str, Any]:
    names = ("tokens", "waits", "moves", "utilisation", "arrivals")
    answers = await asyncio.gather(*(api.report(f"/{n}", doctor_id=doctor_id, **span)
                                     for n in names))
    return dict(zip(names, answers, strict=True))


def _waits(reports: dict[int, dict[str, Any]]) -> Figures:
    figures: Figures = {}
    for metric in METRICS:
        per_doctor = {}
        for doctor_id, r in reports.items():
            w = next(f for f in r["waits"]["waits"]
                     if f["metric"] == metric and f["source"] == "all")
            per_doctor[doctor_id] = (w["tokens"], w["median_minutes"], w["p90_minutes"])
        figures[f"wait {metric}: tokens"] = sum(n for n, _, _ in per_doctor.values())
        figures[f"wait {metric}: median/p90 by doctor"] = per_doctor
    return figures


async def _reports(api: Api, doctor_ids: list[int], dates: list[dt.date]) -> Figures:
    span = {"from": min(dates).isoformat(), "to": max(dates).isoformat()}
    reports = {d: await _doctor(api, d, span) for d in doctor_ids}

    def total(report: str, key: str) -> int:
        return sum(r[report][key] for r in reports.values())

    def moved(key: str, *kinds: str) -> int:
        return sum(k[key] for r in reports.values() for k in r["moves"]["kinds"]
                   if not kinds or k["kind"] in kinds)

    return {"emergencies": total("tokens", "emergencies"),
            "overflows": total("tokens", "overflows"),
            "places offered": total("utilisation", "capacity"),
            "places held": total("utilisation", "held"),
            "bookings (arrivals)": total("arrivals", "total"),
            "moves: doctor delay": moved("moves", "doctor_delay"),
            "moves: emergency bump": moved("moves", "emergency_bump"),
            "moves to a later day": moved("to_later_day")} | _waits(reports)


def compare(observed: Figures, reported: Figures) -> list[Row]:
    return [Row(label, value, reported.get(label)) for label, value in observed.items()]


async def settle(api: Api, observed: Figures, doctor_ids: list[int], before: Baseline,
                 seconds: float) -> list[Row]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            reported = await _hospital(api, before) | await _reports(api, doctor_ids,
                                                                     list(before))
        except httpx.HTTPError:  # analytics busy or restarting: ask again until the deadline
            reported = {}
        rows = compare(observed, reported)
        if all(r.ok for r in rows) or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(1)
