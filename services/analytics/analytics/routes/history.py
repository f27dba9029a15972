"""The audit trail of one token: every change, who asked, from which request, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse

from analytics import audit
from analytics.deps import SessionDep
from analytics.routes.guarded import NOT_FOUND, RecordId, analytics_router, not_found
from analytics.schemas import HistoryEntry
from opd_shared.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, after, serve_page

__all__ = ["router"]

router = analytics_router("audit")
# DOC{doctor}-{YYYYMMDD}-{NNNN}: anything else cannot be a token's number.
TokenNumber = Annotated[str, Path(pattern=r"^DOC[0-9]{1,19}-[0-9]{8}-[0-9]{1,12}$",
                                  examples=["DOC12-20260130-0042"])]


@router.get("/tokens/{token_id}/history", response_model=list[HistoryEntry],
            responses={**NOT_FOUND, **PAGED}, summary="A token's changes, oldest first")
async def by_id(token_id: RecordId, session: SessionDep, request: Request, response: Response,
                cursor: Cursor = None,
                limit: Limit = DEFAULT_LIMIT) -> list[HistoryEntry] | JSONResponse:
    """A page at a time; the next page's address is in the `Link` header."""
    page = await _page(session, token_id, request, response, cursor, limit)
    return page if page or cursor else not_found(f"Token {token_id} not found")


@router.get("/tokens/number/{token_number}/history", response_model=list[HistoryEntry],
            responses={**NOT_FOUND, **PAGED}, summary="The same, by the token's printed number")
async def by_number(
    token_number: TokenNumber, session: SessionDep, request: Request, response: Response,
    cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
) -> list[HistoryEntry] | JSONResponse:
    token_id = await audit.token_id_of(session, token_number)
    page = (await _page(session, token_id, request, response, cursor, limit)
            if token_id is not None else [])
    return page if page or cursor else not_found(f"Token {token_number} not found")


async def _page(session: SessionDep, token_id: int, request: Request, response: Response,
                cursor: str | None, limit: int) -> list[HistoryEntry]:
    """A token unknown is an empty first page (404); a page past the end is merely empty."""
    list_name = f"the history of token {token_id}"
    start = after(cursor, list_name, (int,))
    found = await audit.token_history(session, token_id, start[0] if start else None,
                                      limit + 1)
    return serve_page(request, response, found, limit, list_name, lambda e: [e.sequence])
