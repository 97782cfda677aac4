"""Spreadsheets (.xlsx) for people who work in Excel, LibreOffice or Sheets: typed cells (dates as
dates, scores as numbers), a frozen header row, column widths and filters on every sheet.

Made with openpyxl in its write-only mode: each row is written to a temporary file as it comes
from the query and the workbook is zipped at the end, so a state's whole queue is never in memory
at once (bench/RESULTS.md has the peak on the national dataset's Texas).

Text is text: every string cell is written as a string, never as a formula, whatever it starts
with, and carries Excel's "quote prefix" so that editing the cell keeps it text too (the CSV
exports need an apostrophe for this; a typed cell does not, so the text is kept as typed).
Characters XML cannot hold are dropped, and text longer than a cell can hold is cut with a
note saying so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from portal import i18n
from portal.exports.text import xml_text

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CELL_LIMIT = 32_767  # characters Excel keeps in one cell
# A workbook up to this size stays in memory; a larger one is spooled to disk.
SPOOL_BYTES = 8 * 1024 * 1024

Kind = Literal["text", "number", "date", "datetime"]
FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class SheetColumn:
    label: str | LazyString  # lazy when made at import (the coordinator's tables)
    width: int = 14  # characters
    kind: Kind = "text"


@dataclass
class Sheet:
    title: str  # at most 31 characters, Excel's limit
    columns: Sequence[SheetColumn]
    rows: Iterable[Sequence[Any]]  # read once, row by row
    written: int = 0  # rows written so far


def workbook(sheets: Iterable[Sheet], *, title: str, zone: ZoneInfo) -> IO[bytes]:
    """The sheets as an .xlsx file, read from its start. Times are shown on ``zone``'s clock
    (a spreadsheet cell has no zone: its name is in the column's heading)."""
    book = Workbook(write_only=True)
    book.properties.title = xml_text(title)
    book.properties.creator = "Readiness Portal"
    book.properties.language = i18n.document_language()
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the response
    try:
        for sheet in sheets:
            _write(book.create_sheet(sheet.title[:31]), sheet, zone)
        book.save(out)
    except BaseException:
        out.close()
        for worksheet in book.worksheets:  # the rows openpyxl had spooled to its own files
            writer = getattr(worksheet, "_writer", None)
            if writer is not None:
                writer.cleanup()
        raise
    out.seek(0)
    return out


def _write(worksheet: WriteOnlyWorksheet, sheet: Sheet, zone: ZoneInfo) -> None:
    columns = sheet.columns
    for index, column in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = column.width
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        label = f"{column.label} ({zone.key})" if column.kind == "datetime" else str(column.label)
        cell = WriteOnlyCell(worksheet, value=xml_text(label))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in sheet.rows:
        worksheet.append(
            [
                _cell(worksheet, value, column, zone)
                for value, column in zip(row, columns, strict=True)
            ]
        )
        sheet.written += 1
    last = get_column_letter(len(columns))
    worksheet.auto_filter.ref = f"A1:{last}{sheet.written + 1}"


def _cell(worksheet: WriteOnlyWorksheet, value: Any, column: SheetColumn, zone: ZoneInfo) -> Any:
    if value is None or value == "":
        return None
    if column.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if column.kind == "datetime" and isinstance(value, datetime):
        cell = WriteOnlyCell(worksheet, value=_on_clock(value, zone))
        cell.number_format = FORMATS["datetime"]
        return cell
    if column.kind == "date" and isinstance(value, date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = FORMATS["date"]
        return cell
    return text_cell(worksheet, str(value))


def text_cell(worksheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    """A cell that is text to every spreadsheet, however it starts ("=", "+", "-", "@")."""
    text = xml_text(text)
    if len(text) > CELL_LIMIT:
        cut = " … " + _("(cut: the full text is in the portal)")
        text = text[: CELL_LIMIT - len(cut)] + cut
    cell = WriteOnlyCell(worksheet, value=text)
    cell.data_type = "s"  # openpyxl takes a string starting with "=" for a formula
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True
    return cell


def _on_clock(value: datetime, zone: ZoneInfo) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(zone).replace(tzinfo=None)


@dataclass(frozen=True)
class Table:
    """A table handed out as a CSV file (``keys`` head its columns) and as a sheet."""

    title: str
    keys: tuple[str, ...]
    columns: tuple[SheetColumn, ...]
    rows: Iterable[Sequence[Any]]

    def sheet(self) -> Sheet:
        return Sheet(self.title, self.columns, self.rows)

    def csv_rows(self) -> list[list[Any]]:
        """Rows as the CSV writes them: times in ISO 8601 (UTC), empty for none."""
        return [[v.isoformat() if isinstance(v, date) else v for v in row] for row in self.rows]
