"""CSV downloads that are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets (OWASP CSV
# injection); tab and carriage return are included because some spreadsheets strip them first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet may split a cell again on ";", "," "|" or a tab (a locale's list separator, or
# a person choosing one on import), so every piece that would then start a cell is neutralised:
# "x;=HYPERLINK(…)" must not become a formula in its second cell.
_SEGMENT_FORMULA = re.compile(r"(^|[;,|\t\r\n])([ ]*)(?=[=+\-@\t\r])")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula — at its start, or at the start of any
    piece a spreadsheet could split it into — gets an apostrophe there; numbers stay."""
    if not isinstance(value, str):
        return value
    return _SEGMENT_FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'", value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if value is None else value) for value in row])
    return buffer.getvalue()
