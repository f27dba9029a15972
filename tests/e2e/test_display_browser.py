"""The waiting-hall display in real headless Chromium, over the four services as processes:
bookings and calls made at the gateway show on the page within 2 s, without a reload,
and no patient's name ever reaches the page. Reads need a key here (`#key=` in the URL,
or typed in when asked), except on a queue-view whose deployment opens reads."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SHOT = ROOT / "artifacts" / "display.png"
# The README's picture is refreshed only when asked, so a test run leaves the tree clean.
DOCS_SHOT = ROOT / "docs" / "images" / "display.png"
REFRESH_DOCS = os.environ.get("OPD_REFRESH_DOCS_IMAGES") == "1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BOUND_MS = 2000  # the page must show a change this soon after the gateway answered
# A morning in the hall: tomorrow in the hospital's zone, so every slot is still ahead
# whenever the test runs; call-next is given the slot, so any date works.
DAY = (dt.datetime.now(ZoneInfo("Asia/Kolkata")).date() + dt.timedelta(days=1)).isoformat()
DOCTORS = [("Dr. Asha Rao", "ENT", "3"), ("Dr. Vikram Sen", "Cardiology", "5"),
           ("Dr. Leela Nair", "Paediatrics", "8"), ("Dr. Imran Khan", "Orthopaedics", "11")]
# Endless: the accessibility and language tests import this module's Gateway, and when one
# pytest-xdist worker runs them all, they book from this one supply.
PATIENTS = itertools.cycle([f"{first} {last}" for first, last in itertools.product(
    ["Rahul", "Priya", "Sunita", "Arjun", "Kavya", "Rohan", "Meena", "Farah"],
    ["Verma", "Sharma", "Pillai", "Ghosh"])])
CSP_REFUSALS: list[str] = []  # what the Content-Security-Policy blocked, as Chromium logs it


class Gateway:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=url, headers=headers, timeout=10)
        self.names: list[str] = []

    def post(self, path: str, **body: object) -> dict:
        response = self.http.post(path, json=body or None)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def doctor_with_slot(self, name: str, specialization: str, room: str) -> dict:
        doctor = self.post("/api/v1/doctors", name=name, specialization=specialization,
                           room=room)
        return self.post("/api/v1/slots", doctor_id=doctor["id"], date=DAY,
                         start_time="09:00", end_time="12:00", max_capacity=18)

    def book(self, slot: dict, source: str = "walk_in", emergency: bool = False) -> dict:
        name = next(PATIENTS)
        self.names.append(name)
        path = "/api/v1/tokens" + ("?emergency=true" if emergency else "")
        return self.post(path, patient_name=name, patient_phone="+91 98450 12345",
                         doctor_id=slot["doctor_id"], slot_id=slot["id"],
                         source=source)

    def call_next(self, slot: dict) -> str:
        return self.post(f"/api/v1/doctors/{slot['doctor_id']}/call-next"
                         f"?slot_id={slot['id']}")["token_number"]


@pytest.fixture(scope="module")
def page(system) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.on("console", lambda m: "Content Security Policy" in m.text
                and CSP_REFUSALS.append(m.text))
        yield page
        browser.close()


def _shows(page: Page, card: int, selector: str, text: str) -> None:
    """Wait (bounded) until the `card`-th board's `selector` holds `text`."""
    page.wait_for_function(
        """([card, selector, text]) => {
            const board = document.querySelectorAll('.card')[card];
            return !!board && board.querySelector(selector).textContent.includes(text);
        }""", arg=[card, selector, text], timeout=BOUND_MS)


def _digits(token_number: str) -> str:
    return token_number.rsplit("-", 1)[1]


def _open(page: Page, url: str, key: str | None = None) -> None:
    """The display at `url`, with `key` given in the URL's fragment, as a kiosk is set up."""
    page.goto(url + (f"#key={key}" if key else ""))
    page.wait_for_selector("#status.live", timeout=10_000)


def _forget_keys(page: Page, origin: str) -> None:
    page.goto(f"{origin}/healthz")
    page.evaluate("sessionStorage.clear()")


def _no_names(page: Page, names: list[str]) -> None:
    text, html = page.inner_text("body"), page.content()
    assert [n for n in names if n in text or n in html] == []
    assert "98450" not in html
    assert CSP_REFUSALS == []


def test_the_display_follows_bookings_and_calls_live_and_never_shows_a_name(
    system, infra, page
) -> None:
    gateway = Gateway(system["gateway"].url, infra.admin_headers)
    slots = [gateway.doctor_with_slot(*doctor) for doctor in DOCTORS]
    query = ",".join(str(s["doctor_id"]) for s in slots)
    _open(page, f"{system['queue_view'].url}/display?doctors={query}&date={DAY}", infra.admin_key)
    page.evaluate("window.sameDocument = true")
    assert infra.admin_key not in page.url  # taken out of the address bar

    first = gateway.book(slots[0], "online")["token_number"]
    _shows(page, 0, ".next-list", _digits(first))
    assert gateway.call_next(slots[0]) == first
    _shows(page, 0, ".now-token", _digits(first))
    assert "called" in page.locator(".card").first.get_attribute("class")  # announced

    _busy_morning(gateway, slots, page)
    assert page.evaluate("window.sameDocument") is True  # updated in place, never reloaded
    _no_names(page, gateway.names)
    for shot in (SHOT, DOCS_SHOT):
        shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT))
    if REFRESH_DOCS:
        shutil.copyfile(SHOT, DOCS_SHOT)


def _busy_morning(gateway: Gateway, slots: list[dict], page: Page) -> None:
    """Queues of every kind on four doctors; three are seeing someone, an emergency waits
    in one queue and a patient has checked in at another."""
    plan = [["follow_up", "walk_in", "online", "walk_in"],
            ["priority", "online", "walk_in", "follow_up", "walk_in"],
            ["online", "walk_in", "walk_in"], ["walk_in", "online", "walk_in"]]
    booked = [[gateway.book(slot, source) for source in sources]
              for slot, sources in zip(slots, plan, strict=True)]
    emergency = gateway.book(slots[1], "priority", emergency=True)["token_number"]
    gateway.call_next(slots[0])
    called = [gateway.call_next(slots[1]), gateway.call_next(slots[2])]
    waiting = gateway.book(slots[2], "priority", emergency=True)["token_number"]
    gateway.post(f"/api/v1/tokens/{booked[3][2]['id']}/check-in")

    assert called[0] == emergency  # emergencies are seen first
    _shows(page, 1, ".now-token", _digits(called[0]))
    _shows(page, 2, ".now-token", _digits(called[1]))
    _shows(page, 2, ".next-list", "Emergency")
    _shows(page, 2, ".next-list", _digits(waiting))
    _shows(page, 3, ".next-list", "Here")


def test_the_display_says_reconnecting_while_queue_view_is_down_and_recovers_by_itself(
    system, infra, page
) -> None:
    gateway = Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot("Dr. Nisha Bose", "Dermatology", "14")
    view = system["queue_view"]
    _open(page, f"{view.url}/display?doctors={slot['doctor_id']}&date={DAY}", infra.admin_key)

    view.stop()
    page.wait_for_selector("#status.reconnecting", timeout=10_000)
    booked_while_down = gateway.book(slot)["token_number"]
    view.start()
    view.wait_ready()
    page.wait_for_selector("#status.live", timeout=15_000)

    _shows(page, 0, ".next-list", _digits(booked_while_down))  # caught up on reconnect
    later = gateway.book(slot)["token_number"]
    _shows(page, 0, ".next-list", _digits(later))
    _no_names(page, gateway.names)


def test_without_a_key_the_display_asks_for_one_and_keeps_it_for_the_tab(
    system, infra, page
) -> None:
    gateway = Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot("Dr. Kiran Das", "ENT", "2")
    view = system["queue_view"]
    _forget_keys(page, view.url)
    page.goto(f"{view.url}/display?doctors={slot['doctor_id']}&date={DAY}")

    page.wait_for_selector("#key-form:not([hidden])", timeout=10_000)
    page.fill("#key-input", "not-a-key")
    page.click("#key-form button")  # hides the form; the refusal shows it again
    page.wait_for_selector("#key-form:not([hidden])", timeout=10_000)
    assert page.evaluate("sessionStorage.length") == 0  # a refused key is not kept
    page.fill("#key-input", infra.admin_key)
    page.click("#key-form button")
    page.wait_for_selector("#status.live", timeout=10_000)
    page.reload()
    page.wait_for_selector("#status.live", timeout=10_000)

    assert page.is_hidden("#key-form")  # the tab remembered the key
    _shows(page, 0, ".doctor", "Dr. Kiran Das")


def test_where_reads_are_open_the_display_needs_no_key(system, infra, page) -> None:
    gateway = Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot("Dr. Uma Menon", "Paediatrics", "6")
    kiosk = type(system["queue_view"])("queue_view", {**system.env, "OPD_OPEN_READS": "true"})
    kiosk.start()
    try:
        kiosk.wait_ready()
        _forget_keys(page, kiosk.url)
        _open(page, f"{kiosk.url}/display?doctors={slot['doctor_id']}&date={DAY}")
        booked = gateway.book(slot)["token_number"]
        _shows(page, 0, ".next-list", _digits(booked))
        _no_names(page, gateway.names)
    finally:
        kiosk.stop()
