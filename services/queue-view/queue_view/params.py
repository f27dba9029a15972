"""Path and query parameters shared by the routes, bounded so that odd input is a 422.

Ids are PostgreSQL bigints: a larger number is the client's mistake, not a database
error. Token numbers are `DOC{doctor}-{YYYYMMDD}-{NNNN}`; the pattern is kept loose (letters,
digits, dashes) so a new numbering still reads, while a NUL byte, spaces, quotes or
other text that could never be a token number is refused before it reaches a query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

__all__ = ["BIGINT_MAX", "DoctorFilter", "RecordId", "TokenNumber"]

BIGINT_MAX = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="A record's id")]
DoctorFilter = Annotated[int | None, Query(ge=1, le=BIGINT_MAX, description="Only this doctor")]
TokenNumber = Annotated[str, Path(
    min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$",
    description="As printed on the slip", examples=["DOC1-20260130-0042"])]
