"""The one way a built file is answered: an attachment, never cached by a shared cache (each
carries one organization's data)."""

from __future__ import annotations

from flask import Response

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
