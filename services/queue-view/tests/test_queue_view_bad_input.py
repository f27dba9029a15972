"""Odd input gets a clear 4xx, never a 500; a database that is away is a 503 to retry."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

BIG = str(2**63)  # one past PostgreSQL's bigint
INJECTION = "1' OR '1'='1"


@pytest.mark.parametrize("path", [
    f"/api/v1/doctors/{BIG}", f"/api/v1/doctors/{BIG}/day/2030-01-15", f"/api/v1/slots/{BIG}",
    f"/api/v1/slots/{BIG}/queue", f"/api/v1/tokens/{BIG}", f"/api/v1/slots?doctor_id={BIG}",
    "/api/v1/tokens/0", "/api/v1/slots/-1", "/api/v1/doctors/1/day/2030-02-30",
    "/api/v1/tokens/number/DOC1%00", "/api/v1/tokens/number/%E0%A4%85%E0%A4%A8%E0%A5%81",
    f"/api/v1/tokens/number/{'9' * 65}/position", f"/api/v1/tokens/number/{INJECTION}",
    "/api/v1/display/stream?specialization=EN%00T", "/api/v1/display/stream?doctors=1;DROP",
    f"/api/v1/display/stream?doctors={BIG}0", "/api/v1/display/stream?next=1000",
])
async def test_odd_parameters_are_422_with_the_field_named(service, path) -> None:
    response = await service.http.get(path)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] and all(e["loc"] and e["msg"] for e in body["errors"])


@pytest.mark.parametrize("specialization", ["नेत्र रोग", INJECTION, "ENT); DROP TABLE doctors;--"])
async def test_unicode_and_injection_text_in_a_query_is_only_text(service, specialization):
    response = await service.http.get("/api/v1/display/stream",
                                      params={"specialization": specialization})

    assert response.status_code == 200
    assert '"boards":[]' in response.text  # no such department: nothing shown, nothing run


async def test_reads_answer_503_with_retry_after_while_the_database_is_away(service) -> None:
    lost = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    runtime = service.app.state.runtime
    try:
        service.app.state.runtime = dataclasses.replace(
            runtime, engine=lost, sessions=async_sessionmaker(lost))
        response = await service.http.get("/api/v1/slots/1")
    finally:
        service.app.state.runtime = runtime
        await lost.dispose()

    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert response.json()["code"] == "unavailable"

