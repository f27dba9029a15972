"""/healthz and /readyz, the same for every service.

Each service puts its broker connection in `app.state.connection` and its SQLAlchemy
engine (if it has a database) in `app.state.engine` during its lifespan.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

__all__ = ["add_health_routes"]


def add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Broker and database answer",
             response_model=None,
             responses={200: {"description": "Ready"}, 503: {"description": "Not ready"}})
    async def readyz(request: Request) -> JSONResponse:
        problems = []
        connection = getattr(request.app.state, "connection", None)
        if connection is None or connection.is_closed:
            problems.append("broker unreachable")
        engine = getattr(request.app.state, "engine", None)
        if engine is not None:
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception:
                problems.append("database unreachable")
        if problems:
            return JSONResponse({"status": "unavailable", "detail": ", ".join(problems)},
                                status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ready"})
