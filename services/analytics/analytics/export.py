"""A report's table as CSV: the same rows the JSON carries, one line each."""

from __future__ import annotations

import csv
import io
import typing
from typing import Any

from fastapi import Response

from analytics.report_schemas import Report
from opd_contracts.vocabulary import ErrorCode
from opd_shared.http import ApiError

__all__ = ["csv_response"]


def _columns(report: Report, table: str) -> list[str]:
    # From the row model, not the first row: an empty table still gets its header line.
    (row_model,) = typing.get_args(type(report).model_fields[table].annotation)
    return list(row_model.model_fields)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def csv_response(report: Report, name: str, table: str | None) -> Response:
    chosen = table or report.tables[0]
    if chosen not in report.tables:
        raise ApiError(422, ErrorCode.UNKNOWN_TABLE,
                       f"{name} exports the tables {', '.join(report.tables)}, not {chosen!r}")
    columns = _columns(report, chosen)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in getattr(report, chosen):
        values = row.model_dump(mode="json")
        writer.writerow([_cell(values[c]) for c in columns])
    filename = f"{name}-{chosen}-{report.start}-{report.end}.csv"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
