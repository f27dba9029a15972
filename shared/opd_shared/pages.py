"""Cursor pagination, one shape for every list endpoint: the body stays the list it always
was, and a `Link: <...>; rel="next"` header (RFC 8288) names the next page while there is one.

Why this shape: list bodies are arrays that clients, the dashboard and the tests already
read; an object `{items, next}` would break every one of them under the same /api/v1. A
header adds the next page without changing the body, and its absence says "last page".

Why keyset cursors, not offsets: the cursor is the sort key of the last item served, and the
next page is what sorts after it. An item added between two pages therefore shifts nothing:
no item is served twice or skipped, where an offset would repeat the last item of a page
whenever one was added before it. What a walk sees: every item that existed throughout and
kept its place in the order, once; items added after the cursor's place, too; those added
(or moved, like a patient called in) before it are on the next walk.

The cursor is opaque to clients (base64url of JSON: the list it belongs to and the key).
Nothing in it is secret or trusted: it only says where to continue, the query around it
still applies the caller's access, and a cursor that is not one this list gave out (edited,
truncated, from another list) is 400 `bad_request` saying so.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response

from opd_contracts.vocabulary import ErrorCode
from opd_shared.http import ApiError, error_responses

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "PAGED", "Cursor", "Limit", "after", "bad_cursor",
           "cursor_of", "serve_page"]

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
Cursor = Annotated[str | None, Query(
    max_length=512, description="Where to continue: the `cursor` of the previous answer's "
                                '`Link: <...>; rel="next"` header (opaque; omit for the first '
                                "page)")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT,
                             description="Items on this page at most; the next page's "
                                         'address is in the `Link` header (rel="next")')]
Key = list[Any]


def cursor_of(list_name: str, key: Key) -> str:
    raw = json.dumps({"list": list_name, "after": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def after(raw: str | None, list_name: str, shape: Sequence[type]) -> Key | None:
    """The key a cursor continues after (None: the first page). `shape` is the type of each
    part of the key; anything else is 400."""
    if raw is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        key = decoded["after"]
        if decoded["list"] == list_name and isinstance(key, list) and len(key) == len(shape) \
                and all(type(part) is kind for part, kind in zip(key, shape, strict=True)):
            return key
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        pass
    raise bad_cursor(list_name)


def bad_cursor(list_name: str) -> ApiError:
    return ApiError(400, ErrorCode.BAD_REQUEST,
                    f"cursor: not a cursor of {list_name}; use the one in the previous page's "
                    "Link header, or none for the first page")


def serve_page(request: Request, response: Response, fetched: Sequence[T], limit: int,
               list_name: str, key_of: Callable[[T], Key]) -> list[T]:
    """The first `limit` of `fetched` (which holds up to limit + 1, in the list's order),
    with the Link header to the next page when there was one more."""
    page = list(fetched[:limit])
    if len(fetched) > limit:
        following = request.url.include_query_params(
            cursor=cursor_of(list_name, key_of(page[-1])), limit=limit)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return page


# For a list route's `responses=`: the OpenAPI document names the header clients follow,
# and the 400 of a cursor the list did not give out.
PAGED: dict[int | str, Any] = {
    200: {"headers": {"Link": {
        "description": 'The next page, `<path?cursor=...&limit=...>; rel="next"`; absent on '
                       "the last page", "schema": {"type": "string"}}}},
    400: {**error_responses(400)[400], "description": "A cursor the list did not give out"},
}
