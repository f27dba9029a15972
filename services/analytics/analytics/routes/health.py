"""Liveness and readiness: is the process up, and can it reach its broker and database."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from analytics.deps import RuntimeDep
from analytics.runtime import Runtime
from opd_contracts.vocabulary import ErrorCode
from opd_shared.http import ErrorOut

__all__ = ["RETRY_AFTER_SECONDS", "router"]

RETRY_AFTER_SECONDS = 5
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_answers(runtime: Runtime) -> bool:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(runtime.settings.readiness_timeout_seconds):
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
    return False


@router.get("/readyz", response_model=None, responses={
    200: {"description": "Broker and database answer"},
    503: {"model": ErrorOut, "description": "Broker or database unreachable"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    broker = runtime.consumer.connected()
    database = await _database_answers(runtime)
    checks = {"broker": broker, "database": database}
    if broker and database:
        return JSONResponse({"status": "ready", **checks})
    return JSONResponse(
        {"detail": "broker or database unreachable", "code": ErrorCode.NOT_READY, **checks},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
