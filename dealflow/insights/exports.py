"""Every list and report as CSV or Excel, streamed: rows are pulled from an iterator (querysets
with .iterator(chunk_size=2000)) and written out one by one, so a million rows never sit in memory.

CSV goes straight to the response (UTF-8 with a BOM, so spreadsheets read the accents right).
An .xlsx is a zip that can only be finished at the end: openpyxl's write-only workbook writes the
rows to a temporary file as they come, and the finished file is streamed from disk."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000


def wanted_format(request: HttpRequest) -> str | None:
    """'csv' or 'xlsx' when the request asks for an export (?format=…), else None."""
    value = request.GET.get("format", "")
    return value if value in FORMATS else None


class _Echo:
    def write(self, value: str) -> str:
        return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | Decimal | dt.date | bool):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        return value
    return str(value)


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([_text(v) for v in row])


def stream_csv(rows: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def stream_xlsx(rows: Iterable[Sequence[Any]], filename: str, title: str = "") -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "Sheet")[:31].replace("/", "-"))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    workbook.save(tmp)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE)


def export(
    fmt: str, rows: Iterable[Sequence[Any]], filename: str, title: str = ""
) -> StreamingHttpResponse | FileResponse:
    if fmt == "xlsx":
        return stream_xlsx(rows, filename, title)
    return stream_csv(rows, filename)


def export_links(request: HttpRequest) -> list[tuple[str, str]]:
    """(format, query string) pairs for the export buttons: the current filters plus ?format=."""
    links = []
    for fmt in FORMATS:
        params = request.GET.copy()
        params.pop("page", None)
        params["format"] = fmt
        links.append((fmt, params.urlencode()))
    return links
