"""The one way a built file is answered: an attachment, never cached by a shared cache (each
carries one organization's data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response

from portal import audit
from portal.exports.spreadsheet import to_csv
from portal.extensions import db

# Excel reads a CSV as UTF-8 only when it starts with a byte-order mark.
BYTE_ORDER_MARK = "\ufeff"


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """``body`` as the attachment ``filename`` (a name the portal made: no quoting needed)."""
    if mimetype == "text/csv" and isinstance(body, str):
        body = BYTE_ORDER_MARK + body
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
