"""The one way a built file is answered: an attachment, never cached by a shared cache (each
carries one organization's data)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Literal

from flask import Response

from portal import audit
from portal.config import PROJECT_ROOT
from portal.exports.spreadsheet import to_csv
from portal.exports.workbook import MIMETYPE as XLSX
from portal.exports.workbook import Table, workbook
from portal.extensions import db
from portal.reports.pdf import render_bounded
from portal.templating import viewer_time_zone

# Excel reads a CSV as UTF-8 only when it starts with a byte-order mark.
BYTE_ORDER_MARK = "\ufeff"


def download(body: str | bytes | IO[bytes], filename: str, mimetype: str) -> Response:
    """``body`` as the attachment ``filename`` (a name the portal made: no quoting needed); a
    file is sent in blocks and closed when sent."""
    if mimetype == "text/csv" and isinstance(body, str):
        body = BYTE_ORDER_MARK + body
    if isinstance(body, str | bytes):
        response = Response(body, mimetype=mimetype)
    else:
        response = Response(_blocks(body), mimetype=mimetype)
        # Closed also when the body is never read (a HEAD request, a client gone at once).
        response.call_on_close(body.close)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


BLOCK = 64 * 1024


def _blocks(body: IO[bytes]) -> Iterator[bytes]:
    """The file in blocks, closed once read to its end or when the response is closed (a client
    that went away)."""
    try:
        while block := body.read(BLOCK):
            yield block
    finally:
        body.close()


def csv_download(
    filename: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    audited_as: str,
    object_type: str,
    **details: Any,
) -> Response:
    """A table as a CSV attachment that is safe to open in a spreadsheet; the export is audited
    (``audited_as``, with its row count) and committed first, as a PDF download is."""
    audit.record(audited_as, object_type=object_type, rows=len(rows), **details)
    db.session.commit()
    return download(to_csv(header, rows), filename, "text/csv")


def table_download(
    table: Table,
    name: str,
    kind: Literal["csv", "xlsx"],
    *,
    audited_as: str,
    object_type: str,
    **details: Any,
) -> Response:
    """A coordinator's table as ``name``.csv or ``name``.xlsx (``kind``), audited."""
    if kind == "csv":
        return csv_download(f"{name}.csv", table.keys, table.csv_rows(),
                            audited_as=audited_as, object_type=object_type, **details)  # fmt: skip
    return sheets_download([table], name, title=table.title, audited_as=audited_as,
                           object_type=object_type, **details)  # fmt: skip


def sheets_download(
    tables: Iterable[Table],
    name: str,
    *,
    title: str,
    audited_as: str,
    object_type: str,
    **details: Any,
) -> Response:
    """Tables as the sheets of ``name``.xlsx, the rows read as the workbook is written; then the
    export is audited with its row count and committed, as a CSV's is."""
    sheets = [t.sheet() for t in tables]
    body = workbook(sheets, title=title, zone=viewer_time_zone())
    audit.record(audited_as, object_type=object_type, format="xlsx",
                 rows=sum(s.written for s in sheets), **details)  # fmt: skip
    db.session.commit()
    return download(body, f"{name}.xlsx", XLSX)


def pdf_download(
    html: str, filename: str, *, audited_as: str, object_type: str, **details: Any
) -> Response:
    """A page of figures (the coordinators' dashboard, the grant pack) as a PDF: rendered by the
    safe renderer in a bounded child (nothing fetched outside the app), then the export audited
    and committed, as a sheet's is."""
    stylesheet = (PROJECT_ROOT / "static/css/print.css").read_text(encoding="utf-8")
    data = render_bounded(html, PROJECT_ROOT / "static", stylesheet)
    audit.record(audited_as, object_type=object_type, format="pdf", **details)
    db.session.commit()
    return download(data, filename, "application/pdf")
