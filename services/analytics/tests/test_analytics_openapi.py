"""The OpenAPI document tells every answer a route can give, in the shape it is given: what
schemathesis checks against the running service (tests/e2e/test_gateway_fuzz.py)."""

from __future__ import annotations

from analytics.main import create_app
from analytics.settings import AnalyticsSettings

REFUSALS = {"401", "403", "422", "429", "503"}


def operations() -> dict[str, dict]:
    spec = create_app(AnalyticsSettings(_env_file=None)).openapi()  # type: ignore[call-arg]
    return {f"{method.upper()} {path}": operation for path, methods in spec["paths"].items()
            for method, operation in methods.items()}


def test_every_guarded_route_documents_its_refusals_and_their_real_shape():
    guarded = {name: op["responses"] for name, op in operations().items() if "/api/v1/" in name}

    missing = {name: REFUSALS - set(answers) for name, answers in guarded.items()
               if not set(answers) >= REFUSALS}
    assert missing == {}
    assert {name for name, answers in guarded.items() if "404" in answers} == {
        "GET /api/v1/analytics/slots/{slot_id}",
        "GET /api/v1/analytics/doctors/{doctor_id}/day/{date}",
        "GET /api/v1/analytics/tokens/{token_id}/history",
        "GET /api/v1/analytics/tokens/number/{token_number}/history"}
    shapes = {answers["422"]["content"]["application/problem+json"]["schema"]["$ref"]
              for answers in guarded.values()}
    assert shapes == {"#/components/schemas/ValidationErrorOut"}


def test_reports_document_their_csv_and_the_dashboard_its_html():
    found = operations()

    csv = {name for name, op in found.items() if "text/csv" in op["responses"]["200"]["content"]}
    page = found["GET /dashboard"]["responses"]["200"]["content"]

    assert csv == {f"GET /api/v1/analytics/{name}"
                   for name in ("tokens", "utilisation", "waits", "arrivals", "moves")}
    assert list(page) == ["text/html"]
