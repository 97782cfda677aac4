"""The portal's PDFs: the remediation plan and the tool-access request.

Views call :func:`plan_pdf` / :func:`tool_request_pdf`; both answer from the cache when the
content is unchanged and otherwise render (bounded in time) and store.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from portal import i18n, jobs
from portal.assessments import comparison
from portal.assessments import state as assessment_state
from portal.assessments.state import AssessmentState
from portal.config import PROJECT_ROOT
from portal.models import Assessment, ToolRequest, utcnow
from portal.questionnaire.coverage import sector_references
from portal.questionnaire.model import Question
from portal.remediation.board import board_summary
from portal.remediation.document import AnswersInput, PlanDocument, Subject, plan_document
from portal.reports.charts import priority_chart
from portal.reports.pdf import PdfCache, RenderFailed, RenderTimeout, render_bounded, render_job
from portal.scoring.headline import headline
from portal.templating import (
    local_date,
    local_datetime,
    local_day,
    sector_labels,
    state_time_zone,
    status_label,
)

__all__ = ["Pdf", "PdfPending", "RenderFailed", "RenderTimeout", "plan_pdf", "tool_request_pdf"]

log = logging.getLogger(__name__)

REPORT_FILES = [
    PROJECT_ROOT / "static/css/print.css",
    *sorted((PROJECT_ROOT / "templates/reports").glob("*.html")),
    # The words: a corrected translation makes new PDFs.
    *sorted((PROJECT_ROOT / "translations").glob("*/LC_MESSAGES/messages.po")),
    *sorted((PROJECT_ROOT / "questionnaires").glob("*/*.yaml")),
]


@dataclass(frozen=True)
class Pdf:
    data: bytes
    filename: str
    from_cache: bool


@functools.cache
def template_version() -> str:
    """A hash of the report templates, print CSS and translations: editing any invalidates the
    cache."""
    digest = hashlib.sha256()
    for path in REPORT_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache() -> PdfCache:
    directory = current_app.config.get("PDF_CACHE_DIR") or str(
        Path(current_app.instance_path) / "pdf-cache"
    )
    return PdfCache(Path(directory))


class PdfPending(Exception):
    """The PDF is being made on the job queue; ask again shortly."""

    def __init__(self, state: str, position: int | None) -> None:
        super().__init__(state)
        self.state = state  # "queued" or "rendering"
        self.position = position  # place in the queue (0 = next), when queued


_local = threading.local()


def claim_render(key: str) -> bool:
    """Claim the render of ``key`` for a pre-render (a marker beside the cached PDF, seen by
    every worker of this host); False when someone holds a live claim already."""
    return _cache().mark_rendering(key)


@contextlib.contextmanager
def rendering_claimed(key: str) -> Iterator[None]:
    """Render ``key`` under the claim taken by :func:`claim_render`, and give it up after."""
    _local.prerendering = True
    try:
        yield
    finally:
        _local.prerendering = False
        _cache().unmark_rendering(key)


def _produce(key: str, filename: str, html_factory: Any, *, inline: bool = True) -> Pdf:
    """The PDF from the cache, the job queue, or rendered here. ``inline=False`` (pre-rendering
    after a submission) never renders in this process: the job is queued or nothing happens."""
    cache = _cache()
    cached = cache.get(key)
    if cached is not None:
        return Pdf(cached, filename, True)
    timeout = float(current_app.config.get("PDF_RENDER_TIMEOUT", 30))
    if not getattr(_local, "prerendering", False) and cache.rendering(key, within=2 * timeout):
        raise PdfPending("rendering", None)  # a pre-render on this host is making it now
    stylesheet = (PROJECT_ROOT / "static/css/print.css").read_text(encoding="utf-8")
    queue = jobs.pdf_queue()
    if queue is not None:
        try:
            queued = _from_queue(queue, key, html_factory, stylesheet, timeout)
        except jobs.REDIS_UNAVAILABLE as error:
            log.warning("PDF queue unreachable (%s); rendering inline", error)
        else:
            if queued is not None:
                cache.put(key, queued)
                return Pdf(queued, filename, False)
    if not inline:
        raise PdfPending("queued", None)  # Redis down or a stalled job: made when asked for
    data = render_bounded(html_factory(), PROJECT_ROOT / "static", stylesheet, timeout=timeout)
    cache.put(key, data)
    return Pdf(data, filename, False)


def _stall_seconds(timeout: float) -> float:
    """How long a job may wait for a worker before the web process renders it itself."""
    return max(60.0, 2 * timeout)


def _from_queue(
    queue: Any, key: str, html_factory: Any, stylesheet: str, timeout: float
) -> bytes | None:
    """The finished job's bytes; :class:`PdfPending` after making sure a job is on its way; or
    None when no worker has taken the job in time (the caller then renders inline).

    The job id is the content key, so everyone asking for the same PDF shares one job. A finished
    job is left in Redis until its result expires: the download may reach another app server than
    the progress poll did, and that server takes the bytes from Redis too.
    """
    # Named after the queue: two portals (or test runs) sharing one Redis never share a job.
    job_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{queue.name}-{key}")  # RQ's rule for job ids
    try:
        job = Job.fetch(job_id, connection=queue.connection)
        status = job.get_status(refresh=True)
    except (NoSuchJobError, InvalidJobOperation):  # none yet, or collected a moment ago
        job, status = None, None
    if job is not None:
        if status == JobStatus.FINISHED:
            data = job.return_value()
            if isinstance(data, bytes):
                return data
        elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            result = job.latest_result()
            reason = result.exc_string if result is not None else ""
            _forget(job)  # the next request tries again
            if "RenderTimeout" in (reason or ""):
                raise RenderTimeout(f"rendering took longer than {timeout:g} s")
            raise RenderFailed((reason or "the job failed")[-500:])
        elif status == JobStatus.STARTED:
            raise PdfPending("rendering", None)
        else:
            enqueued = job.enqueued_at or datetime.now(UTC)
            if enqueued.tzinfo is None:
                enqueued = enqueued.replace(tzinfo=UTC)
            if (datetime.now(UTC) - enqueued).total_seconds() > _stall_seconds(timeout):
                log.warning("PDF job %s waited too long for a worker; rendering inline", job_id)
                _forget(job)
                return None
            raise PdfPending("queued", job.get_position())
    # Built here, in the request (database and templates are at hand); the worker only renders.
    html = html_factory()
    queue.enqueue_call(
        render_job,
        args=(html, str(PROJECT_ROOT / "static"), stylesheet, timeout),
        job_id=job_id,
        timeout=int(timeout) + 30,
        ttl=int(_stall_seconds(timeout)) + 60,
        result_ttl=600,
        failure_ttl=600,
        description="PDF render",
    )
    raise PdfPending("queued", queue.get_job_position(job_id))


def _forget(job: Any) -> None:
    with contextlib.suppress(NoSuchJobError, InvalidJobOperation):  # removed by another request
        job.delete()


def _organization_state(assessment: Assessment) -> dict[str, Any]:
    org = assessment.organization
    return {
        "name": org.name,
        "state": org.state,
        "county": org.county,
        "sectors": org.sectors,
        "ownership": org.ownership.value,
    }


def plan_pdf(assessment: Assessment, *, include_answers: bool = False, inline: bool = True) -> Pdf:
    """The remediation plan; ``include_answers`` appends every answer (pages longer);
    ``inline=False``: never render in this process (see :func:`_produce`)."""
    state = assessment_state.load(assessment)
    key = plan_key(assessment, state, include_answers=include_answers)
    suffix = "-with-answers" if include_answers else ""
    filename = f"remediation-plan-{assessment.organization_id}-{assessment.id}{suffix}.pdf"
    return _produce(key, filename, lambda: _plan_html(state, include_answers), inline=inline)


def plan_key(
    assessment: Assessment,
    state: AssessmentState | None = None,
    *,
    include_answers: bool = False,
) -> str:
    """The cache key of a plan: everything the PDF shows, so a change makes a new one."""
    state = state or assessment_state.load(assessment)
    return PdfCache.key(
        json.dumps(
            {
                "kind": "plan",
                "include_answers": include_answers,
                # The words of the reader's language (portal/i18n.py: a download's language).
                "language": i18n.reading_language(),
                # Offers end on a date (available_until): a plan is made again each day.
                "day": utcnow().date().isoformat(),
                "template": template_version(),
                "questionnaire": assessment.questionnaire_version.content_hash,
                "assessment": [
                    assessment.id,
                    assessment.status.value,
                    assessment.submitted_at.isoformat() if assessment.submitted_at else None,
                ],
                "organization": _organization_state(assessment),
                "answers": sorted((q, r.value, r.note, r.revision) for q, r in state.rows.items()),
                # What the organization runs and its KEV entries, as of now: every field (the
                # dataclasses' repr), so a renamed product or a new ransomware flag is a new PDF.
                "exploited": [repr(m) for m in state.exposure],
                # The board summary counts what improved since the previous submission.
                "previous": _previous_of(state),
            },
            sort_keys=True,
        )
    )


def _previous_of(state: AssessmentState) -> list[Any] | None:
    compared = comparison.compare_with_previous(state)
    if compared is None:
        return None
    return [compared.previous.id, len(compared.improved), len(compared.worsened)]


def _plan_html(state: AssessmentState, include_answers: bool) -> str:
    return render_template(
        "reports/plan.html",
        doc=plan_document_of(state, include_answers=include_answers),
        chart=priority_chart(state.questionnaire, state.result),
    )


def plan_document_of(state: AssessmentState, *, include_answers: bool = False) -> PlanDocument:
    """The plan of an assessment as a document (portal.remediation.document): what every format
    of the plan renders."""
    assessment = state.assessment
    organization = assessment.organization
    compared = comparison.compare_with_previous(state)
    # The organization's document: its days and times on its clock, named (#34: UTC's before).
    zone = state_time_zone(organization.state)
    board = board_summary(
        state.questionnaire,
        state.result,
        state.plan,
        exploited=state.exploited,
        improved=len(compared.improved) if compared else 0,
        previous=local_day(compared.previous.submitted_at, zone)
        if compared and compared.previous.submitted_at
        else None,
        sectors=organization.sectors,
    )

    def sector_refs(question: Question) -> list[str]:
        return sector_references(question.refs.sector, organization.sectors, state.values)

    subject = Subject(
        organization=organization.name,
        sectors=sector_labels(organization.sectors),
        county=organization.county,
        state=organization.state,
        assessment_id=assessment.id,
        status=status_label(assessment.status).lower(),
        submitted_on=local_day(assessment.submitted_at, zone) if assessment.submitted_at else None,
        generated=local_datetime(utcnow(), zone),
    )
    answers = (
        AnswersInput(
            modules=tuple(assessment.modules),
            shown=frozenset(state.shown),
            values=state.values,
            notes=state.notes,
            sector_references=sector_refs,
        )
        if include_answers
        else None
    )
    return plan_document(
        state.questionnaire,
        state.result,
        state.plan,
        board,
        headline(state.questionnaire, state.result),
        subject,
        exploited=state.exploited,
        answers=answers,
    )


def tool_request_pdf(request: ToolRequest) -> Pdf:
    state = {
        "kind": "tool_request",
        "template": template_version(),
        "language": i18n.reading_language(),
        "request": [
            request.id,
            request.status.value,
            request.lock_version,
            request.contact_name,
            request.contact_email,
            request.contact_phone,
            request.justification,
            request.decision_reason,
            sorted(i.tool_id for i in request.items),
        ],
        "organization": _organization_state(request.assessment)
        if request.assessment
        else request.organization.name,
    }
    key = PdfCache.key(json.dumps(state, sort_keys=True, default=str))
    filename = f"tool-access-request-{request.organization_id}-{request.id}.pdf"
    return _produce(key, filename, lambda: _tool_request_html(request))


def _tool_request_html(request: ToolRequest) -> str:
    assert request.assessment is not None
    state = assessment_state.load(request.assessment)
    return render_template(
        "reports/tool_request.html",
        request=request,
        assessment=state.assessment,
        organization=request.organization,
        # Labels in the reader's language, made here (the template only places them).
        sectors=sector_labels(request.organization.sectors),
        status=status_label(request.status).lower(),
        questionnaire=state.questionnaire,
        result=state.result,
        matches={m.tool.id: m for m in state.plan.tools},
        values=state.values,
        generated_at=local_datetime(utcnow(), state_time_zone(request.organization.state)),
        sent_on=local_date(request.created_at, state_time_zone(request.organization.state)),
    )
