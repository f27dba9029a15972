"""The audit trail of one token: every change, who asked, from which request, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from fastapi.responses import JSONResponse

from analytics import audit
from analytics.deps import SessionDep
from analytics.routes.guarded import NOT_FOUND, RecordId, analytics_router, not_found
from analytics.schemas import HistoryEntry

__all__ = ["router"]

router = analytics_router("audit")
# DOC{doctor}-{YYYYMMDD}-{NNNN}: anything else cannot be a token's number.
TokenNumber = Annotated[str, Path(pattern=r"^DOC[0-9]{1,19}-[0-9]{8}-[0-9]{1,12}$",
                                  examples=["DOC12-20260130-0042"])]


@router.get("/tokens/{token_id}/history", response_model=list[HistoryEntry],
            responses=NOT_FOUND, summary="A token's changes, oldest first")
async def by_id(token_id: RecordId, session: SessionDep) -> list[HistoryEntry] | JSONResponse:
    history = await audit.token_history(session, token_id)
    return history or not_found(f"Token {token_id} not found")


@router.get("/tokens/number/{token_number}/history", response_model=list[HistoryEntry],
            responses=NOT_FOUND, summary="The same, by the token's printed number")
async def by_number(
    token_number: TokenNumber, session: SessionDep
) -> list[HistoryEntry] | JSONResponse:
    token_id = await audit.token_id_of(session, token_number)
    history = await audit.token_history(session, token_id) if token_id is not None else []
    return history or not_found(f"Token {token_number} not found")
