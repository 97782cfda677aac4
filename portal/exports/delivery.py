"""Sending a PDF to the browser: from the cache, after a bounded render, or — with a job
queue — a "preparing" page that polls until it is ready. Each download is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from portal import audit
from portal.exports.download import download
from portal.extensions import db
from portal.reports.documents import Pdf, PdfPending, RenderFailed, RenderTimeout


def send_pdf(
    produce: Callable[[], Pdf],
    subject: Any,
    action: str,
    *,
    what: str,
    back_url: str,
) -> BaseResponse | tuple[str, int]:
    """``produce()`` the PDF about ``subject`` and send it; a clear page if it cannot be made.

    With a job queue (REDIS_URL) the first request gets a "preparing" page that polls this same
    URL with ``?progress=1`` — so progress passes the same access checks as the file. The
    download is audited as ``action`` on ``subject``.
    """
    progress = request.args.get("progress") == "1"
    # The same document again: every other parameter (the plan's ?answers=1) is kept.
    kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "progress"])
    download_url = f"{request.path}?{kept}" if kept else request.path
    try:
        produced = produce()
    except PdfPending as pending:
        if progress:
            return jsonify(state=pending.state, position=pending.position)
        return render_template(
            "pdf_pending.html",
            pending=pending,
            what=what,
            progress_url=f"{download_url}{'&' if kept else '?'}progress=1",
            download_url=download_url,
            back_url=back_url,
        ), 202
    except RenderTimeout:
        return _failed(
            progress,
            503,
            _("The PDF is taking too long"),
            _(
                "We stopped making this PDF because it took longer than allowed. Please try "
                "again in a minute; if it keeps happening, tell your administrator."
            ),
        )
    except RenderFailed:
        return _failed(
            progress,
            500,
            _("The PDF could not be made"),
            _("The problem has been logged. Your answers are safe. Please try again."),
        )
    if progress:
        return jsonify(state="ready")
    audit.record_for(subject, action, cached=produced.from_cache)
    db.session.commit()
    return download(produced.data, produced.filename, "application/pdf")


def _failed(progress: bool, code: int, title: str, message: str) -> Any:
    if progress:
        return jsonify(state="failed", title=title, message=message)
    return render_template("errors/error.html", code=code, title=title, message=message), code
