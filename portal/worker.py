"""Jobs that RQ workers run with the whole app: the worker has no app until its first job, and
builds it from the same environment variables as the web processes.

Start a worker for mail next to the app (and one for PDFs, see portal/jobs.py)::

    rq worker -c portal.rq_settings -w portal.worker.Worker --url "$REDIS_URL" portal-mail
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import Worker as RqWorker

from portal.app import create_app
from portal.extensions import db
from portal.mail import outbox

_app: Flask | None = None


class Worker(RqWorker):
    """RQ's worker, with its pub/sub thread polling every second instead of every minute
    (``rq worker -w portal.worker.Worker``): redis-py's thread can wait out a whole poll when
    it is stopped just after it subscribed, so a worker told to stop — a deploy, systemd's
    SIGTERM, the end of ``--burst`` — took 60 s to go (seen as one-minute test runs)."""

    def subscribe(self) -> None:
        self.pubsub: Any = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )


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
