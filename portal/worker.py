"""Jobs that RQ workers run with the whole app: the worker has no app until its first job, and
builds it from the same environment variables as the web processes.

Start a worker for mail next to the app (and one for PDFs, see portal/jobs.py)::

    rq worker -c portal.rq_settings --url "$REDIS_URL" portal-mail
"""

from __future__ import annotations

from flask import Flask

from portal.app import create_app
from portal.extensions import db
from portal.mail import outbox

_app: Flask | None = None


def app() -> Flask:
    global _app
    if _app is None:
        _app = create_app()
    return _app


def deliver_mail(ids: list[int]) -> dict[str, int]:
    """Deliver outbox messages ``ids``; a temporary failure raises, so RQ tries again later."""
    with app().app_context():
        try:
            counts = outbox.deliver(ids)
        finally:
            db.session.remove()
    if counts["retry"]:
        raise outbox.TemporaryFailure(f"{counts['retry']} message(s) to try again")
    return counts
