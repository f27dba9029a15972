"""What every service shows a browser or a stranger: security headers on every page and
answer, documentation only where OPD_API_DOCS allows, /metrics only with OPD_METRICS_KEY."""

from __future__ import annotations

import re

import pytest

from opd_shared.middleware import DOCS_POLICY, PAGE_POLICY

from .service_apps import SERVICES, Service, client

BY_NAME = {"argvalues": SERVICES, "ids": [s.name for s in SERVICES]}
HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
           "x-frame-options": "DENY"}
# Pages the product promises; any other route documented as HTML is checked as well.
KNOWN_PAGES = {"queue-view": {"/display", "/t/1"}, "analytics": {"/dashboard"}}
DOCS = ["/docs", "/redoc", "/openapi.json"]
METRICS_KEY = "test-metrics-key-0123456789abcdef"


def html_pages(service: Service) -> set[str]:
    """Every GET route whose OpenAPI answer is HTML, path parameters filled in with a value
    no record has (a patient's page for a made-up ticket answers 404, with the headers).
    Pages under /api/ need a key, which these apps (no lifespan) cannot check: left out."""
    spec = service.app().openapi()
    return {re.sub(r"\{[^}]+\}", "1", path) for path, methods in spec["paths"].items()
            if "text/html" in methods.get("get", {}).get("responses", {}).get("200", {})
            .get("content", {}) and not path.startswith("/api/")}


def protected(headers: dict[str, str], policy: str = PAGE_POLICY) -> dict[str, str]:
    """The headers that are missing or different (empty: all there)."""
    wanted = {**HEADERS, "content-security-policy": policy}
    return {name: headers.get(name, "<missing>") for name, value in wanted.items()
            if headers.get(name) != value}


@pytest.mark.parametrize("service", **BY_NAME)
async def test_every_html_page_and_json_answer_carries_the_security_headers(service: Service):
    pages = html_pages(service)
    assert pages >= KNOWN_PAGES.get(service.name, set())

    async with client(service.app()) as http:
        answers = {path: await http.get(path) for path in [*pages, "/no-such-page"]}

    assert {path: protected(a.headers) for path, a in answers.items()} == {
        path: {} for path in answers}
    assert all(answers[page].status_code == (404 if "/1" in page else 200) for page in pages)
    assert answers["/no-such-page"].json()["code"] == "not_found"


@pytest.mark.parametrize(("name", "page"), [("queue-view", "/display/static/display.js"),
                                             ("analytics", "/dashboard/static/api.js")])
async def test_the_pages_scripts_carry_the_headers_too(name: str, page: str):
    service = next(s for s in SERVICES if s.name == name)
    async with client(service.app()) as http:
        answer = await http.get(page)

    assert answer.status_code == 200 and protected(answer.headers) == {}


def test_the_pages_policy_allows_only_the_sites_own_files():
    directives = dict(part.strip().split(" ", 1) for part in PAGE_POLICY.split(";"))

    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert not [d for d in directives.values() if "unsafe" in d or "http" in d]


@pytest.mark.parametrize("service", **BY_NAME)
async def test_documentation_is_served_with_its_own_policy_unless_switched_off(service: Service):
    async with client(service.app()) as http:
        shown = {path: await http.get(path) for path in DOCS}
    async with client(service.app(api_docs=False)) as http:
        hidden = {path: (await http.get(path)).status_code for path in DOCS}

    assert {path: answer.status_code for path, answer in shown.items()} == dict.fromkeys(DOCS, 200)
    assert protected(shown["/docs"].headers, DOCS_POLICY) == {}
    assert hidden == dict.fromkeys(DOCS, 404)


async def test_the_gateways_broker_inventory_goes_with_the_documentation():
    gateway = SERVICES[0]
    async with client(gateway.app()) as http:
        shown = await http.get("/asyncapi.json")
    async with client(gateway.app(api_docs=False)) as http:
        hidden = await http.get("/asyncapi.json")

    assert (shown.status_code, hidden.status_code) == (200, 404)


@pytest.mark.parametrize("service", **BY_NAME)
async def test_metrics_need_the_metrics_key_when_one_is_set(service: Service):
    async with client(service.app()) as http:
        open_metrics = await http.get("/metrics")
    async with client(service.app(metrics_key=METRICS_KEY)) as http:
        without = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-the-key"})
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})

    assert open_metrics.status_code == 200
    assert (without.status_code, wrong.status_code) == (401, 401)
    assert without.json()["code"] == "unauthorized"
    assert without.headers["WWW-Authenticate"] == "Bearer"
    assert right.status_code == 200 and "opd_reply_timeouts_total" in right.text
