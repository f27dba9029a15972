"""The dashboard in headless Chromium after a simulated busy day: every chart has data and
paints pixels. Saves a screenshot to artifacts/ (to docs/images/ too with
OPD_REFRESH_DOCS_IMAGES=1)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import socket
from pathlib import Path

import aio_pika
import uvicorn
from playwright.async_api import async_playwright

from analytics.main import create_app
from analytics.settings import AnalyticsSettings
from opd_contracts import EventType
from opd_contracts.vocabulary import Source, TokenStatus

ROOT = Path(__file__).resolve().parents[3]
# The README's picture is refreshed only when asked, so a test run leaves the tree clean.
SHOTS = [ROOT / "artifacts" / "dashboard.png",
         *([ROOT / "docs" / "images" / "dashboard.png"]
           if os.environ.get("OPD_REFRESH_DOCS_IMAGES") == "1" else [])]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DAY = dt.date(2026, 2, 16)
TZ = dt.timezone(dt.timedelta(hours=5, minutes=30))
DOCTORS = [("Dr. Asha Rao", "Cardiology"), ("Dr. Vikram Mehta", "Cardiology"),
           ("Dr. Leela Iyer", "Orthopaedics"), ("Dr. Arjun Nair", "Paediatrics"),
           ("Dr. Priya Singh", "General Medicine"), ("Dr. Kabir Shah", "General Medicine")]
SOURCES = [Source.WALK_IN] * 5 + [Source.ONLINE] * 3 + [Source.FOLLOW_UP] * 2 + [Source.PRIORITY]
STAMPS = [(TokenStatus.CHECKED_IN, "checked_in_at"),
          (TokenStatus.CONSULTING, "consultation_started_at"),
          (TokenStatus.COMPLETED, "completed_at")]
ST = TokenStatus


def booked_at(rng, source, start: dt.datetime) -> dt.datetime:
    ahead = {Source.ONLINE: rng.randint(600, 4000), Source.FOLLOW_UP: rng.randint(1440, 9000),
             Source.PRIORITY: rng.randint(0, 30)}.get(source, rng.randint(5, 70))
    return start - dt.timedelta(minutes=ahead)


def patient(rng, d, slot, start, events) -> None:
    """One token's day: booked, then seen (mostly), missed, cancelled or still waiting."""
    source = rng.choice(SOURCES)
    token = d.token(slot, source, is_emergency=source is Source.PRIORITY and rng.random() < 0.4)
    token = token.model_copy(update={"allocated_at": booked_at(rng, source, start)})
    events.append(d.allocated(token, slot))
    fate, when = rng.random(), max(token.allocated_at, start - dt.timedelta(minutes=20))
    steps = 3 if fate < 0.72 else 1 if fate < 0.8 else 0
    for status, stamp in STAMPS[:steps]:
        when += dt.timedelta(minutes=rng.randint(4, 15 if stamp == "completed_at" else 45))
        token = token.model_copy(update={"status": status, stamp: when})
        events.append(d.event(EventType.TOKEN_STATUS_CHANGED, tokens=[token], slots=[slot]))
    if steps == 0:
        closed = ST.NO_SHOW if fate < 0.9 else ST.CANCELLED
        token = token.model_copy(update={"status": closed, "closed_at": start})
        events.append(d.event(EventType.TOKEN_STATUS_CHANGED, tokens=[token], slots=[slot]))
    elif steps == 1 and rng.random() < 0.7:
        why = rng.choice(["doctor delayed 40 min", "patient request",
                          f"moved from slot {slot.id} to make room for an emergency"])
        events.append(d.event(EventType.TOKEN_MOVED, slots=[slot, d.later], reason=why,
                              tokens=[token.model_copy(update={
                                  "slot_id": d.later.id, "moved_from_slot_id": slot.id})]))


def busy_day(history) -> list:
    rng, events = random.Random(16), []
    for name, specialization in DOCTORS:
        d = history()
        d.doctor = d.doctor.model_copy(update={"name": name, "specialization": specialization})
        d.later = d.slot(DAY + dt.timedelta(days=1), capacity=20)
        events += [d.registered(), d.opened(d.later)]
        for hour in (9, 10, 11, 14, 15):
            slot = d.slot(DAY, capacity=rng.randint(6, 10), start=hour)
            events.append(d.opened(slot))
            start = dt.datetime.combine(DAY, dt.time(hour), TZ)
            for _ in range(rng.randint(slot.max_capacity - 4, slot.max_capacity + 1)):
                patient(rng, d, slot, start, events)
    return events


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def publish(settings: AnalyticsSettings, events: list) -> None:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        exchange = await settings.topology.declare_events(await connection.channel())
        for e in events:
            await exchange.publish(aio_pika.Message(e.model_dump_json().encode(),
                                                    message_id=str(e.event_id)), e.type.value)


async def served(app, port: int):
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    return server, task


DRAWN = """() => Object.fromEntries(Object.entries(window.opdCharts).map(([id, chart]) => {
  const points = chart.data.datasets.flatMap((d) => d.data).filter((v) => v > 0).length;
  const pixels = chart.ctx.getImageData(0, 0, chart.canvas.width, chart.canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
  return [id, [points, painted]];
}))"""


async def test_the_dashboard_draws_every_chart_after_a_busy_day(infra, history):
    settings = infra.settings(AnalyticsSettings, infra.namespace("an"))
    events, port = busy_day(history), free_port()
    app = create_app(settings)
    server, task = await served(app, port)
    try:
        await publish(settings, events)
        from .conftest import Service

        probe = Service(app, None, None)
        await probe.eventually(probe.facts, lambda n: n >= len(events), within=60)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1440, "height": 1000})
            refused = []  # what the page's Content-Security-Policy blocked, as Chromium logs it
            page.on("console", lambda m: "Content Security Policy" in m.text
                    and refused.append(m.text))
            await page.add_init_script(
                f"sessionStorage.setItem('opd-analytics-key', '{infra.admin_key}')")
            await page.goto(f"http://127.0.0.1:{port}/dashboard?from={DAY}&to={DAY}")
            await page.wait_for_selector("body[data-state=ready]", timeout=20_000)
            drawn = await page.evaluate(DRAWN)
            tiles = await page.locator(".kpi .value").all_inner_texts()
            for shot in SHOTS:
                shot.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(shot), full_page=True)
            await browser.close()
    finally:
        server.should_exit = True
        await task

    assert sorted(drawn) == ["chart-arrivals", "chart-days", "chart-doctors", "chart-moves",
                             "chart-source", "chart-status", "chart-waits"]
    empty = [chart for chart, (points, painted) in drawn.items() if not (points and painted)]
    assert empty == [], drawn
    assert len(tiles) == 7 and int(tiles[0]) > 150
    assert refused == []
