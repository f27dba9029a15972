"""Liveness and readiness, for the orchestrator and the load balancer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from queue_view.deps import RuntimeDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz", responses={503: {"description": "Broker or database unreachable"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    problems = await runtime.problems()
    if problems:
        retry_after = str(runtime.settings.retry_after_seconds)
        return JSONResponse({"status": "unavailable", "detail": "; ".join(problems)},
                            status_code=503, headers={"Retry-After": retry_after})
    return JSONResponse({"status": "ready"})
