"""Plans ready when asked for: the remediation plan starts rendering as soon as an assessment is
submitted, so its first download comes from the cache.

With a job queue (REDIS_URL) the render is an RQ job, exactly the one a download would start;
if Redis is down the submission does not wait for a render — the plan is made when asked for.
Without a queue, a thread of this process renders it (WeasyPrint itself runs in a child process
bounded by PDF_RENDER_TIMEOUT), one at a time per process: while it works, a marker beside the
cached PDF tells a download reaching any worker of this host to show the "preparing" page
instead of rendering it again; a second submission meanwhile is left to render on demand
rather than queue up threads.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from portal import i18n, jobs
from portal.extensions import db
from portal.models import Assessment
from portal.reports import documents

log = logging.getLogger(__name__)

_one_at_a_time = threading.BoundedSemaphore(1)
_threads: set[threading.Thread] = set()


def plan_after_submission(assessment: Assessment) -> None:
    """Start making ``assessment``'s plan (call after the submission has committed). Never
    raises: a plan that is not made now is made when it is asked for."""
    if not current_app.config.get("PDF_PRERENDER", True):
        return
    # In the organization's language: the one a download asks for unless told otherwise.
    with i18n.speaking(assessment.organization.language):
        _start(assessment)


def _start(assessment: Assessment) -> None:
    if jobs.pdf_queue() is not None:
        try:
            documents.plan_pdf(assessment, inline=False)  # enqueues the job, or finds it made
        except documents.PdfPending:
            pass
        except Exception:
            log.exception("could not start the plan of assessment %s", assessment.id)
        return
    if not _one_at_a_time.acquire(blocking=False):
        return
    # Claimed here, before the response: a download right after it already sees "preparing".
    key = documents.plan_key(assessment)
    if not documents.claim_render(key):
        _one_at_a_time.release()
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    language = assessment.organization.language
    worker = threading.Thread(target=_render, args=(app, assessment.id, key, language), daemon=True)
    _threads.add(worker)
    try:
        worker.start()
    except Exception:  # no thread to be had: made when asked for
        _threads.discard(worker)
        _one_at_a_time.release()
        with documents.rendering_claimed(key):
            pass  # gives the claim up
        log.exception("could not start the plan of assessment %s", assessment.id)


def _render(app: Flask, assessment_id: int, key: str, language: str) -> None:
    try:
        # Report templates build static URLs; the portal's own address stands in for a request.
        with (
            app.test_request_context(base_url=app.config.get("PORTAL_BASE_URL") or None),
            i18n.speaking(language),
        ):
            try:
                with documents.rendering_claimed(key):
                    assessment = db.session.get(Assessment, assessment_id)
                    if assessment is not None:
                        documents.plan_pdf(assessment)
            finally:
                db.session.remove()
    except Exception:
        log.exception("pre-rendering the plan of assessment %s failed", assessment_id)
    finally:
        _one_at_a_time.release()
        _threads.discard(threading.current_thread())


def wait_for_prerenders(timeout: float = 60) -> None:
    """Wait for plans being made in this process (tests, a clean shutdown)."""
    for worker in list(_threads):
        worker.join(timeout)
