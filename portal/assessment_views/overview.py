"""The Assessment page: the organization's assessments and tool requests, start, import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal import access, safe_json
from portal.assessment_views.blueprint import bp, load
from portal.assessment_views.forms import ImportForm
from portal.assessments import lifecycle, reading, revision, transfer
from portal.assessments.errors import AssessmentError
from portal.auth.decorators import role_required
from portal.extensions import db
from portal.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Organization,
    Role,
    ToolRequest,
)
from portal.readonly import read_only
from portal.reports.charts import Bar, priority_bars
from portal.templating import format_date


def _index_page(
    organization: Organization, import_form: ImportForm, status: int = 200
) -> tuple[str, int]:
    assessments = db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.organization_id == organization.id)
        .order_by(Assessment.created_at.desc())
    ).all()
    tool_requests = db.session.scalars(
        sa.select(ToolRequest)
        .where(ToolRequest.organization_id == organization.id)
        .order_by(ToolRequest.created_at.desc())
    ).all()
    open_one = reading.open_assessment(organization)
    open_rows = reading.answer_rows(open_one) if open_one is not None else {}  # read once
    submitted = [a for a in assessments if a.submitted_at and a.overall_score is not None]
    submitted.sort(key=lambda a: a.id)
    history_chart = (
        priority_bars(
            [Bar(format_date(a.submitted_at), a.overall_score, a.overall_tier) for a in submitted],
            title=_("Overall score at each submission"),
            responsive=True,
        )
        if submitted
        else None
    )
    page = render_template(
        "assess/index.html",
        organization=organization,
        assessments=assessments,
        tool_requests=tool_requests,
        history_chart=history_chart,
        open_assessment=open_one,
        revision=revision.revision_of(open_one, open_rows)
        if open_one is not None and open_one.status is AssessmentStatus.RETURNED
        else None,
        open_progress=_progress(open_one, open_rows) if open_one is not None else None,
        import_form=import_form,
    )
    return page, status


# Minutes per unanswered question, for "about N minutes left": 45 minutes for the ~80 questions
# of a typical first assessment (the welcome page's estimate).
MINUTES_PER_QUESTION = 0.6


def _progress(assessment: Assessment, rows: dict[str, Answer]) -> tuple[reading.Progress, int]:
    """Answered/total over the questions shown, and the minutes the rest will take."""
    steps = reading.steps_of(assessment)
    _unused, overall = reading.progress(steps, reading.answer_values(rows))
    left = overall.total - overall.answered
    return overall, max(1, round(left * MINUTES_PER_QUESTION)) if left else 0


@bp.get("/")
@read_only
@role_required(Role.OPERATOR)
def index() -> tuple[str, int]:
    organization = access.get_or_404(Organization, current_user.organization_id)
    return _index_page(organization, ImportForm())


@bp.post("/start")
@role_required(Role.OPERATOR)
def start() -> Response:
    organization = access.get_or_404(Organization, current_user.organization_id)
    try:
        assessment = lifecycle.start(organization, current_user)
    except AssessmentError as error:
        flash(str(error), "warning")
        return redirect(url_for("assess.index"))
    db.session.commit()
    if assessment.previous_assessment_id:
        flash(
            _(
                "Your previous answers are filled in. Check each section and change what has "
                "changed since."
            ),
            "info",
        )
    return redirect(url_for("assess.step", assessment_id=assessment.id, number=0))


@bp.post("/import")
@role_required(Role.OPERATOR)
def import_json() -> Response | tuple[str, int]:
    organization = access.get_or_404(Organization, current_user.organization_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _index_page(organization, form, 400)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        data = safe_json.parse(form.file.data.read(limit + 1), max_bytes=limit)
        report = transfer.import_into_new_draft(organization, current_user, data)
    except (safe_json.JsonRefused, AssessmentError) as refusal:
        db.session.rollback()
        message = str(refusal)
        if isinstance(refusal, safe_json.JsonRefused):
            message += " " + _("Choose a file exported from the portal.")
        form.file.errors.append(message)
        return _index_page(organization, form, 400)
    db.session.commit()
    sentences = [
        ngettext(
            "Imported %(num)d answer into a new draft.",
            "Imported %(num)d answers into a new draft.",
            report.imported,
        )
    ]
    if report.products_added:
        sentences.append(
            ngettext(
                "%(num)d product added to your list of what you run.",
                "%(num)d products added to your list of what you run.",
                report.products_added,
            )
        )
    if report.products_skipped:
        sentences.append(
            ngettext(
                "%(num)d product in the file could not be used.",
                "%(num)d products in the file could not be used.",
                report.products_skipped,
            )
        )
    if report.skipped:
        sentences.append(
            ngettext(
                "%(num)d could not be used because the questions changed: %(questions)s",
                "%(num)d could not be used because the questions changed: %(questions)s",
                len(report.skipped),
                questions=", ".join(report.skipped[:10])
                + ("…" if len(report.skipped) > 10 else ""),
            )
        )
    flash(" ".join(sentences), "success" if not report.skipped else "warning")
    return redirect(url_for("assess.step", assessment_id=report.assessment.id, number=0))


@bp.get("/<int:assessment_id>")
@read_only
@login_required
def show(assessment_id: int) -> Response:
    """An assessment's address: the first question a returned one needs changed, the first
    unfinished step of a draft, else its results."""
    assessment = load(assessment_id)
    if not assessment.is_editable or not current_user.is_operator:
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    rows = reading.answer_rows(assessment)
    if assessment.status is AssessmentStatus.RETURNED:
        # Back from the coordinator: straight to the first question that needs a change.
        point = next(iter(revision.revision_of(assessment, rows).open_points), None)
        if point is not None:
            return redirect(
                url_for("assess.step", assessment_id=assessment.id, number=point.step_number)
                + f"#q-{point.question.id}"
            )
    steps = reading.steps_of(assessment)
    per_step, _unused = reading.progress(steps, reading.answer_values(rows))
    first_open = next((i for i, p in enumerate(per_step) if not p.complete), 0)
    return redirect(url_for("assess.step", assessment_id=assessment.id, number=first_open))
