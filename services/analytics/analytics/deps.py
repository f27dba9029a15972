"""FastAPI dependencies, as `Annotated` aliases the routes declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.bootstrap import Runtime
from opd_shared.dependencies import app_runtime, request_session

__all__ = ["RuntimeDep", "SessionDep"]

RuntimeDep = Annotated[Runtime, Depends(app_runtime)]
SessionDep = Annotated[AsyncSession, Depends(request_session)]
