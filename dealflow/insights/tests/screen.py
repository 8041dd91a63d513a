"""Read a table off a rendered page (cell text, or an input's value when the cell has no text)
and exports back (CSV, .xlsx), so the tests compare what is downloaded with what is shown."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from typing import Any

from openpyxl import load_workbook


class _Table(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth = table_id, 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.value = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and (self.depth or a.get("id") == self.table_id or self.table_id in (a.get("class") or "")):
            self.depth += 1
        if not self.depth:
            return
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell, self.value = [], ""
        elif tag == "input" and self.cell is not None and a.get("type") not in ("hidden", "checkbox"):
            self.value = self.value or (a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None and self.depth:
            text = re.sub(r"\s+", " ", "".join(self.cell)).strip()
            self.rows[-1].append(text or self.value)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def screen_rows(html: str, table: str) -> list[list[str]]:
    """The rows (header included) of the table with id or class `table`."""
    parser = _Table(table)
    parser.feed(html)
    return [r for r in parser.rows if r]


def plain(text: str) -> str:
    """An on-screen number as the export writes it: no thousands separators, no dash for none."""
    return "" if text == "—" else text.replace(",", "")


def read_csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response: Any) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]
