"""/healthz and /readyz, the same for every service: one body, one 503, one implementation.

/readyz asks the runtime the lifespan put in `app.state.runtime` (opd_shared.app): does its
broker connection hold (`broker_connected()`), and does its `engine`, if it has one, answer
`SELECT 1` within OPD_READINESS_TIMEOUT_SECONDS. Not ready is 503 with Retry-After, and
the body still says which check failed, so a load balancer and a person read the same answer.
"""

from __future__ import annotations

import asyncio
from typing import Literal, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from opd_contracts.vocabulary import ErrorCode
from opd_shared.settings import ServiceSettings

__all__ = ["Probed", "ReadinessOut", "add_health_routes", "readiness"]


class Probed(Protocol):
    """What /readyz checks; every service's Runtime has it."""

    engine: AsyncEngine | None

    def broker_connected(self) -> bool: ...


class ReadinessOut(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, bool] = Field(examples=[{"broker": True, "database": True}])
    detail: str | None = Field(None, description="What is not ready (503 only)")
    code: ErrorCode | None = Field(None, examples=["not_ready"])


async def _database_problem(engine: AsyncEngine, seconds: float) -> str | None:
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not ready", never a 500
        return f"database not answering: {type(error).__name__}"
    return None


async def readiness(probed: Probed, seconds: float) -> tuple[dict[str, bool], list[str]]:
    """Each check's result (a check may take `seconds`), and what keeps the process from
    serving (empty: ready)."""
    problems = [] if probed.broker_connected() else ["broker not connected"]
    checks = {"broker": not problems}
    if probed.engine is not None:
        problem = await _database_problem(probed.engine, seconds)
        checks["database"] = problem is None
        problems += [problem] if problem else []
    return checks, problems


def add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Broker and database answer",
             response_model=None, responses={
                 200: {"model": ReadinessOut, "description": "Ready"},
                 503: {"model": ReadinessOut, "description": "Broker or database unreachable"}})
    async def readyz(request: Request) -> JSONResponse:
        settings: ServiceSettings = request.app.state.settings
        checks, problems = await readiness(request.app.state.runtime,
                                           settings.readiness_timeout_seconds)
        if not problems:
            return JSONResponse({"status": "ready", "checks": checks})
        body = {"status": "not_ready", "checks": checks, "detail": "; ".join(problems),
                "code": ErrorCode.NOT_READY}
        return JSONResponse(body, status_code=503,
                            headers={"Retry-After": str(settings.retry_after_seconds)})
