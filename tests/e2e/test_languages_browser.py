"""The waiting hall and the patient's page in English, Hindi and Tamil, in real headless
Chromium over the services as processes: the words come from the language's catalog,
calls are announced in each configured language in turn, the patient's page follows its
token live, and no name reaches either page. Screenshots go to artifacts/ (and, with
OPD_REFRESH_DOCS_IMAGES=1, to docs/images for the README)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from .test_display_browser import (
    CHROMIUM_ARGS,
    CSP_REFUSALS,
    DAY,
    REFRESH_DOCS,
    ROOT,
    Gateway,
    _digits,
    _no_names,
    _open,
    _shows,
)

# Per language: a word of the display's card, of the patient's page, and of an announcement.
WORDS = {
    "en": ("Now consulting", "Your token", "Token {n}, room {room}"),
    "hi": ("अभी परामर्श में", "आपका टोकन", "टोकन {n}, कमरा {room}"),
    "ta": ("இப்போது ஆலோசனையில்", "உங்கள் டோக்கன்", "டோக்கன் {n}, அறை {room}"),
}
DOCTORS = {"en": ("Dr. Asha Rao", "ENT", "3"), "hi": ("Dr. Vikram Sen", "Cardiology", "5"),
           "ta": ("Dr. Leela Nair", "Paediatrics", "8")}


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("console", lambda m: "Content Security Policy" in m.text
                and CSP_REFUSALS.append(m.text))
        yield page
        browser.close()


def _shot(page: Page, name: str, **options: object) -> None:
    shot = ROOT / "artifacts" / name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), **options)
    if REFRESH_DOCS:
        shutil.copyfile(shot, ROOT / "docs" / "images" / name)


def _applied(url: str) -> None:
    """Queue-view knows a token a few milliseconds after the booking's answer."""
    deadline = time.monotonic() + 10
    while httpx.get(url).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("lang", list(WORDS))
def test_the_display_speaks_and_announces_in_the_chosen_language_then_english(
    system, infra, browser_page, lang
) -> None:
    page, gateway = browser_page, Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot(*DOCTORS[lang])
    room = DOCTORS[lang][2]
    languages = lang if lang == "en" else f"{lang},en"
    _open(page, f"{system['queue_view'].url}/display?doctors={slot['doctor_id']}&date={DAY}"
                f"&voice=1&lang={languages}", infra.admin_key)
    first = gateway.book(slot, "online")["token_number"]
    gateway.book(slot, "walk_in")
    # A call is announced as a change of what the card showed: one whose first look already
    # holds the call (the doctor's board came with the call) is shown, not announced.
    _shows(page, 0, ".next-list", _digits(first))

    called = gateway.call_next(slot)
    # The call crosses the allocator, its relay, queue-view and the display's poll: beside
    # CI's three workers that took more than 5 s once.
    page.wait_for_function("() => window.announcements.length > 0", timeout=15_000)
    page.wait_for_timeout(300)  # every language of the call is queued at once

    label = page.inner_text(".card .now .label")
    spoken = page.evaluate("window.announcements")
    number = str(int(_digits(called)))
    expected = [{"text": WORDS[lang][2].format(n=number, room=room),
                 "lang": {"en": "en-IN", "hi": "hi-IN", "ta": "ta-IN"}[lang]}]
    if lang != "en":
        expected.append({"text": f"Token {number}, room {room}", "lang": "en-IN"})
    assert label.casefold() == WORDS[lang][0].casefold()  # the label is upper-cased by CSS
    assert page.evaluate("document.documentElement.lang") == lang
    assert spoken == expected
    _no_names(page, gateway.names)
    _shot(page, f"display-{lang}.png")


@pytest.mark.parametrize("lang", list(WORDS))
def test_the_patient_page_follows_its_token_live_in_the_chosen_language(
    system, infra, browser_page, lang
) -> None:
    page, gateway = browser_page, Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot(*DOCTORS[lang])
    gateway.book(slot, "walk_in")
    gateway.book(slot, "walk_in")
    mine = gateway.book(slot, "walk_in")
    url = f"{system['queue_view'].url}/t/{mine['ticket']}?lang={lang}"
    _applied(url)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(url)
    page.wait_for_selector("#live[data-live='1']", timeout=10_000)

    assert WORDS[lang][1] in page.inner_text("h1")
    assert page.inner_text("[data-field=position]") == "3"
    _shot(page, f"patient-{lang}.png", full_page=True)
    gateway.call_next(slot)  # the first goes in (position 1 is the one being seen) ...
    gateway.call_next(slot)  # ... and out: one place up, shown without a reload
    page.wait_for_function("() => document.querySelector('[data-field=position]')"
                           ".textContent === '2'", timeout=15_000)
    gateway.call_next(slot)  # our turn
    page.wait_for_selector("#live[data-state='consulting']", timeout=15_000)

    assert DOCTORS[lang][2] in page.inner_text("[data-field=status]")  # go to room ...
    _no_names(page, gateway.names)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_slip_prints_on_80_mm_with_the_live_page_s_qr_code(system, infra, browser_page
                                                                ) -> None:
    page, gateway = browser_page, Gateway(system["gateway"].url, infra.admin_headers)
    slot = gateway.doctor_with_slot("Dr. Farah Ghosh", "Dermatology", "12")
    token = gateway.book(slot, "walk_in")
    _applied(f"{system['queue_view'].url}/t/{token['ticket']}")
    page.set_extra_http_headers(infra.admin_headers)
    try:
        page.goto(f"{system['queue_view'].url}/api/v1/tokens/{token['id']}/slip")
        page.wait_for_selector("figure.qr svg")
        width = page.evaluate("document.querySelector('.slip').getBoundingClientRect().width")
        _shot(page, "slip.png", full_page=True)
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        page.set_extra_http_headers({})

    assert 268 <= width <= 275  # 72 mm at 96 px an inch
    assert pdf.startswith(b"%PDF") and CSP_REFUSALS == []
