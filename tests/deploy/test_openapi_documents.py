"""Each service's OpenAPI document is one a channel developer can build on without reading
our code: a valid OpenAPI 3.1 document, the bearer key declared on every route that needs
one (so /docs has an Authorize button), the Idempotency-Key header on every gateway write
that honours it and on its 202 answer, and every refusal documented as the problem details
it is served as."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from opd_shared.problems import PROBLEM_JSON

from .service_apps import SERVICES, Service

BY_NAME = {"argvalues": SERVICES, "ids": [s.name for s in SERVICES]}
# What answers without a key (API.md, "Access"): probes, the documents, the pages; the
# patient's live page and opt-out, whose unguessable ticket is their key; and on interop
# (INTEROP.md) the CapabilityStatement, and ABDM's share, which carries the ABDM gateway's
# own token rather than one of our keys.
OPEN = {"/healthz", "/readyz", "/asyncapi.json", "/display", "/dashboard", "/fhir/metadata",
        "/v1.0/patients/profile/share"}
OPEN_UNDER = ("/t/", "/api/v1/opt-out/")


def is_open(path: str) -> bool:
    return path in OPEN or path.startswith(OPEN_UNDER)


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{method.upper()} {path}": operation
            for path, methods in document["paths"].items()
            for method, operation in methods.items()}


@pytest.mark.parametrize("service", **BY_NAME)
def test_the_document_is_valid_openapi(service: Service):
    document = service.app().openapi()

    validate(document)  # raises, naming the first invalid part
    assert document["openapi"].startswith("3.1")


@pytest.mark.parametrize("service", **BY_NAME)
def test_every_route_that_needs_a_key_declares_the_bearer_scheme(service: Service):
    document = service.app().openapi()
    found = operations(document)

    scheme = document["components"]["securitySchemes"]["bearer"]
    guarded = {name: op.get("security") for name, op in found.items()
               if not is_open(name.split(" ")[1])}
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert guarded, "every service has at least one route behind a key"
    assert {name for name, security in guarded.items() if security != [{"bearer": []}]} == set()
    assert {name for name, op in found.items() if "security" in op} == set(guarded)


def test_every_gateway_write_declares_the_idempotency_key_header():
    writes = {name: op for name, op in operations(SERVICES[0].app().openapi()).items()
              if name.split(" ")[0] in ("POST", "PATCH", "PUT", "DELETE")}

    declared = {name: [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
                for name, op in writes.items()}
    assert len(writes) >= 10
    assert {name for name, found in declared.items() if len(found) != 1} == set()
    header = next(iter(declared.values()))[0]
    assert header["in"] == "header" and not header["required"]
    assert "decided once" in header["description"]
    assert header["schema"]["anyOf"][0]["maxLength"] == 200


def test_every_gateway_answer_of_202_declares_the_idempotency_key_to_retry_with():
    """The pending answer returns the key in a header (booking_gateway.submit): a client
    generated from the document must be able to find it there."""
    pending = {name: op["responses"]["202"]
               for name, op in operations(SERVICES[0].app().openapi()).items()
               if "202" in op["responses"]}

    assert len(pending) >= 10
    undeclared = {name for name, answer in pending.items()
                  if answer.get("headers", {}).get("Idempotency-Key", {}).get("schema")
                  != {"type": "string"}}
    assert undeclared == set()


@pytest.mark.parametrize("service", **BY_NAME)
def test_every_refusal_is_documented_as_problem_details(service: Service):
    document = service.app().openapi()
    schemas = document["components"]["schemas"]

    refusals = {(name, status): answer.get("content", {})
                for name, op in operations(document).items()
                for status, answer in op["responses"].items()
                if status[0] in "45" and name != "GET /readyz"}
    shapes = {content[PROBLEM_JSON]["schema"]["$ref"].rsplit("/", 1)[-1]
              for content in refusals.values() if list(content) == [PROBLEM_JSON]}
    assert refusals
    assert {key for key, content in refusals.items() if list(content) != [PROBLEM_JSON]} == set()
    assert all({"type", "title", "status", "detail", "code"} <= set(schemas[s]["properties"])
               for s in shapes), shapes
    assert "HTTPValidationError" not in schemas


@pytest.mark.parametrize("service", **BY_NAME)
def test_every_list_answer_comes_in_pages_with_its_link_and_its_400(service: Service):
    """A route whose answer is a JSON array takes `cursor` and `limit`, documents the `Link`
    header it answers with and the 400 of a bad cursor (docs/API.md, "Pages")."""
    lists = {name: op for name, op in operations(service.app().openapi()).items()
             if op["responses"].get("200", {}).get("content", {})
             .get("application/json", {}).get("schema", {}).get("type") == "array"}

    unpaged = {name for name, op in lists.items()
               if not {"cursor", "limit"} <= {p["name"] for p in op.get("parameters", [])}
               or "Link" not in op["responses"]["200"].get("headers", {})
               or "400" not in op["responses"]}
    assert unpaged == set()
    if service.name in ("queue-view", "analytics"):
        assert len(lists) >= 3
