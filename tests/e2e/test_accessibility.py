"""The display, the patient's page and the analytics dashboard pass axe-core (the engine
behind Lighthouse's and Deque's checks) with no serious or critical violation of WCAG 2.1
A/AA, in real Chromium over the services as processes, with data on the pages.

axe-core is vendored as a test asset (tests/e2e/assets/axe.min.js, MPL-2.0, from the npm
registry: `npm pack axe-core@4.14.1`), so CI needs no network for it. The pages' CSP refuses
injected scripts, as it should; the checking browser context alone bypasses it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from .test_display_browser import CHROMIUM_ARGS, DAY, Gateway, _open

AXE = Path(__file__).parent / "assets" / "axe.min.js"
BLOCKING = {"serious", "critical"}
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def checker() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800}
                                   ).new_page()
        yield page
        browser.close()


def _violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (tags) => await axe.run(document,
        { runOnly: { type: "tag", values: tags } })""", RULES)
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in BLOCKING]


@pytest.fixture(scope="module")
def booked(system, infra) -> dict:
    gateway = Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot("Dr. Meera Das", "ENT", "4")
    tokens = [gateway.book(slot, source) for source in ("walk_in", "online", "follow_up")]
    gateway.call_next(slot)
    gateway.book(slot, "priority", emergency=True)
    return {"slot": slot, "token": tokens[-1]}


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_display_has_no_serious_accessibility_violation(system, infra, checker, booked,
                                                            lang) -> None:
    url = (f"{system['queue_view'].url}/display?doctors={booked['slot']['doctor_id']}"
           f"&date={DAY}&lang={lang}")
    _open(checker, url, infra.admin_key)
    checker.wait_for_selector(".card .now-token .num")

    assert _violations(checker) == []


@pytest.mark.parametrize("lang", ["en", "ta"])
def test_the_patient_page_has_no_serious_accessibility_violation(system, checker, booked,
                                                                 lang) -> None:
    url = f"{system['queue_view'].url}/t/{booked['token']['ticket']}?lang={lang}"
    deadline = time.monotonic() + 10
    while httpx.get(url).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    checker.goto(url)
    checker.wait_for_selector("#live[data-live='1']")

    assert _violations(checker) == []


def test_the_dashboard_has_no_serious_accessibility_violation_and_charts_are_described(
    system, infra, checker, booked
) -> None:
    checker.goto(f"{system['analytics'].url}/healthz")
    checker.evaluate("key => sessionStorage.setItem('opd-analytics-key', key)", infra.admin_key)
    checker.goto(f"{system['analytics'].url}/dashboard?from={DAY}&to={DAY}")
    checker.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=15_000)

    described = checker.evaluate("""() => [...document.querySelectorAll('canvas')].map(
        c => [c.getAttribute('role'), c.getAttribute('aria-label') || '',
              (c.textContent || '').trim()])""")
    assert _violations(checker) == []
    assert described and all(role == "img" and label and text for role, label, text in described)
