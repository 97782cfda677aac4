"""The guided assessment: start, the section wizard, autosave, conflicts, review, submit,
results, re-assessment, and JSON export/import."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import orm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from portal import access, audit, origin, safe_json
from portal.assess import pending, service
from portal.assess.forms import ImportForm, field_name, section_form
from portal.auth import sessions
from portal.auth.decorators import role_required
from portal.extensions import db
from portal.models import (
    Answer,
    Assessment,
    Organization,
    ReviewComment,
    Role,
    ToolRequest,
    User,
    utcnow,
)
from portal.questionnaire.model import DONT_KNOW
from portal.readonly import read_only
from portal.reports.charts import Bar, priority_bars

bp = Blueprint("assess", __name__, url_prefix="/assessments")

_FIELD_PREFIXES = ("a__", "n__", "r__")
# One answer and a note of at most 2,000 characters, even if every character is sent as a
# 12-byte JSON escape (a surrogate pair), fits in 32 KiB.
AUTOSAVE_MAX_BYTES = 32 * 1024


# --- helpers ---------------------------------------------------------------------------------


def _load(assessment_id: int) -> Assessment:
    # Every assessment page reads the organization and the questionnaire version next; the
    # organization's sectors only some pages (the assessment keeps its own module list).
    return access.get_or_404(
        Assessment,
        assessment_id,
        options=(
            orm.joinedload(Assessment.organization).lazyload(Organization.sector_links),
            orm.joinedload(Assessment.questionnaire_version),
        ),
    )


def _load_for_editing(assessment_id: int) -> Assessment:
    assessment = _load(assessment_id)
    if not current_user.is_operator:
        abort(403)
    return assessment


def _step_or_404(steps: list[service.Step], number: int) -> service.Step:
    if not 0 <= number < len(steps):
        abort(404)
    return steps[number]


def _shown_values(
    assessment: Assessment,
    posted: MultiDict[str, str] | None,
    rows: dict[str, Answer] | None = None,
) -> dict[str, str | None]:
    """Stored answers, overlaid with what this page posted (for show-if on the same page)."""
    values = service.answer_values(rows if rows is not None else service.answer_rows(assessment))
    if posted:
        for key, value in posted.items():
            if key.startswith("a__") and value:
                values[key[3:].replace("__", ".")] = value
    return values


def _render_step(
    assessment: Assessment,
    steps: list[service.Step],
    step: service.Step,
    form: Any,
    *,
    notice: str | None = None,
    status: int = 200,
    overlay: MultiDict[str, str] | None = None,
    rows: dict[str, Answer] | None = None,
    restored: pending.Restored | None = None,
) -> tuple[str, int]:
    """The step page. ``rows``: the answers as just read, when nothing was saved since;
    ``restored``: a save kept while signed out, filled in and marked for checking."""
    if rows is None:
        rows = service.answer_rows(assessment)
    stored = service.answer_values(rows)
    # Which questions show: the stored answers plus what the person typed (a form shown again
    # with errors, or answers restored after signing in).
    if overlay is None and request.method == "POST":
        overlay = request.form
    values = _shown_values(assessment, overlay, rows)
    per_step, overall = service.progress(steps, stored)
    questionnaire = service.questionnaire_of(assessment)
    section_ids = [q.id for q in step.section.questions]
    comments: dict[str, list[ReviewComment]] = {}
    for comment in db.session.scalars(
        sa.select(ReviewComment)
        .where(
            ReviewComment.assessment_id == assessment.id, ReviewComment.question_id.in_(section_ids)
        )
        .order_by(ReviewComment.created_at)
    ):
        comments.setdefault(comment.question_id or "", []).append(comment)
    referenced = {
        qid for q in step.section.questions if q.show_if for qid in q.show_if.referenced_questions()
    }
    conditions = {q.id: _condition_json(q.show_if) for q in step.section.questions if q.show_if}
    return render_template(
        "assess/step.html",
        assessment=assessment,
        steps=steps,
        step=step,
        form=form,
        field_name=field_name,
        shown={q.id: q.is_shown(values) for q in step.section.questions},
        per_step=per_step,
        overall=overall,
        notice=notice,
        questionnaire=questionnaire,
        comments=comments,
        # JSON for a non-executed data block; "<" is escaped so it cannot close the element.
        client_data=Markup(  # noqa: S704
            json.dumps(
                {
                    "answers": {qid: stored.get(qid) for qid in referenced},
                    "conditions": conditions,
                    "saveUrl": url_for("assess.autosave", assessment_id=assessment.id),
                }
            ).replace("<", "\\u003c")
        ),
        updated={qid: rows[qid] for qid in rows},
        restored=restored,
    ), status


def _condition_json(condition: Any) -> dict[str, Any]:
    if condition.kind == "leaf":
        return {"question": condition.question_id, "in": sorted(condition.values)}
    return {condition.kind: [_condition_json(c) for c in condition.children]}


def _form_for(step: service.Step, rows: dict[str, Any], formdata: Any = None) -> Any:
    data: dict[str, Any] = {}
    for question in step.section.questions:
        row = rows.get(question.id)
        data[field_name("a", question.id)] = row.value if row else None
        data[field_name("n", question.id)] = row.note if row else ""
        data[field_name("r", question.id)] = str(row.revision) if row else "0"
    return section_form(list(step.section.questions), formdata=formdata, data=data)


def _check_no_tampering(step: service.Step) -> None:
    expected = {field_name(p, q.id) for q in step.section.questions for p in ("a", "n", "r")}
    for key in request.form:
        if key.startswith(_FIELD_PREFIXES) and key not in expected:
            abort(400)


@bp.errorhandler(service.InvalidSubmission)
def invalid_submission(error: service.InvalidSubmission) -> tuple[str, int]:
    """What no honest page posts (unknown question or value, hidden question): nothing written."""
    db.session.rollback()
    return render_template(
        "errors/error.html",
        code=400,
        title="We could not read that request",
        message="Please go back, reload the page and try again.",
    ), 400


@bp.errorhandler(service.AssessmentError)
def assessment_locked(error: service.AssessmentError) -> Response:
    """A change the assessment's state no longer allows (for example, it was just submitted)."""
    db.session.rollback()
    flash(str(error), "warning")
    assessment_id = (request.view_args or {}).get("assessment_id")
    if assessment_id is None:
        return redirect(url_for("assess.index"))
    return redirect(url_for("assess.results", assessment_id=assessment_id))


# --- list, start, import -----------------------------------------------------------------------


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
    open_one = service.open_assessment(organization)
    submitted = [a for a in assessments if a.submitted_at and a.overall_score is not None]
    submitted.sort(key=lambda a: a.id)
    history_chart = (
        priority_bars(
            [Bar(f"{a.submitted_at:%Y-%m-%d}", a.overall_score, a.overall_tier) for a in submitted],
            title="Overall score at each submission",
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
        open_comments=db.session.scalars(
            sa.select(ReviewComment)
            .where(ReviewComment.assessment_id == open_one.id)
            .order_by(ReviewComment.created_at)
        ).all()
        if open_one is not None
        else [],
        import_form=import_form,
    )
    return page, status


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
        assessment = service.start(organization, current_user)
    except service.AssessmentError as error:
        flash(str(error), "warning")
        return redirect(url_for("assess.index"))
    audit.record(
        "assessment.started",
        object_type="Assessment",
        object_id=assessment.id,
        organization_id=organization.id,
        prefilled_from=assessment.previous_assessment_id,
    )
    db.session.commit()
    if assessment.previous_assessment_id:
        flash(
            "Your previous answers are filled in. Check each section and change what has "
            "changed since.",
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
    except safe_json.JsonRefused as refusal:
        form.file.errors.append(f"{refusal} Choose a file exported from the portal.")
        return _index_page(organization, form, 400)
    try:
        report = service.import_into_new_draft(organization, current_user, data)
    except service.AssessmentError as error:
        db.session.rollback()
        form.file.errors.append(str(error))
        return _index_page(organization, form, 400)
    audit.record(
        "assessment.imported",
        object_type="Assessment",
        object_id=report.assessment.id,
        organization_id=organization.id,
        imported=report.imported,
        skipped=len(report.skipped),
    )
    db.session.commit()
    message = f"Imported {report.imported} answers into a new draft."
    if report.skipped:
        message += (
            f" {len(report.skipped)} could not be used because the questions changed: "
            + ", ".join(report.skipped[:10])
            + ("…" if len(report.skipped) > 10 else "")
        )
    flash(message, "success" if not report.skipped else "warning")
    return redirect(url_for("assess.step", assessment_id=report.assessment.id, number=0))


# --- the wizard --------------------------------------------------------------------------------


@bp.get("/<int:assessment_id>")
@read_only
@login_required
def show(assessment_id: int) -> Response:
    assessment = _load(assessment_id)
    if not assessment.is_editable or not current_user.is_operator:
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    steps = service.steps_of(assessment)
    per_step, _ = service.progress(steps, service.answer_values(service.answer_rows(assessment)))
    first_open = next((i for i, p in enumerate(per_step) if not p.complete), 0)
    return redirect(url_for("assess.step", assessment_id=assessment.id, number=first_open))


@bp.get("/<int:assessment_id>/steps/<int:number>")
@read_only
@login_required
def step(assessment_id: int, number: int) -> Response | tuple[str, int]:
    assessment = _load_for_editing(assessment_id)
    if not assessment.is_editable:
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    steps = service.steps_of(assessment)
    current = _step_or_404(steps, number)
    rows = service.answer_rows(assessment)
    token = request.args.get("restore")
    kept = pending.find(token, assessment, current_user) if token else None
    if token and kept is not None:
        fields = MultiDict(kept.payload)
        question_ids = [q.id for q in current.section.questions]
        restored = pending.Restored(
            token, kept.created_at, pending.unsaved_changes(question_ids, kept.payload, rows)
        )
        return _render_step(
            assessment,
            steps,
            current,
            _form_for(current, rows, formdata=fields),
            overlay=fields,
            rows=rows,
            restored=restored,
        )
    return _render_step(assessment, steps, current, _form_for(current, rows), rows=rows)


@bp.post("/<int:assessment_id>/steps/<int:number>")
def save_step(assessment_id: int, number: int) -> Response | tuple[str, int]:
    # No login_required: a save that arrives after the session expired is kept, not dropped.
    if not current_user.is_authenticated:
        return _stash_and_sign_in(assessment_id, number)
    assessment = _load_for_editing(assessment_id)
    if not assessment.is_editable:
        flash("This assessment has been submitted; answers can no longer change.", "warning")
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    steps = service.steps_of(assessment)
    current = _step_or_404(steps, number)
    _check_no_tampering(current)
    rows = service.answer_rows(assessment)
    form = _form_for(current, rows, formdata=request.form)
    if not form.validate():
        if any(form.answer_field(q).errors for q in current.section.questions):
            abort(400)  # a radio value no page offers: tampering, nothing written
        return _render_step(assessment, steps, current, form, status=400)
    # InvalidSubmission (400) and AssessmentError (locked) are handled for the whole blueprint.
    outcome = service.save_answers(assessment, form.submissions(request.form), current_user)
    pending.discard(request.form.get("restore_token"), assessment)
    if outcome.saved:
        audit.record(
            "assessment.answers_saved",
            object_type="Assessment",
            object_id=assessment.id,
            organization_id=assessment.organization_id,
            count=len(outcome.saved),
        )
    db.session.commit()
    if outcome.conflicts:
        return render_template(
            "assess/conflicts.html",
            assessment=assessment,
            step=current,
            outcome=outcome,
            questionnaire=service.questionnaire_of(assessment),
            next_url=_destination(assessment, steps, number),
        ), 409
    return redirect(_destination(assessment, steps, number))


def _destination(assessment: Assessment, steps: list[service.Step], number: int) -> str:
    action = request.form.get("action", "next")
    target = service.small_int(action[5:]) if action.startswith("goto-") else None
    if target is not None and target < len(steps):
        return url_for("assess.step", assessment_id=assessment.id, number=target)
    if action == "previous" and number > 0:
        return url_for("assess.step", assessment_id=assessment.id, number=number - 1)
    if action == "stay":
        return url_for("assess.step", assessment_id=assessment.id, number=number)
    if action == "review" or number + 1 >= len(steps):
        return url_for("assess.review", assessment_id=assessment.id)
    return url_for("assess.step", assessment_id=assessment.id, number=number + 1)


@bp.post("/<int:assessment_id>/answers")
def autosave(assessment_id: int) -> Response | tuple[Response, int]:
    """JSON autosave of one answer: {question_id, value, note, revision}."""
    if not current_user.is_authenticated:
        return jsonify(error="signed_out", message="You were signed out. Sign in to save."), 401
    assessment = _load_for_editing(assessment_id)
    try:
        payload = safe_json.parse(request.get_data(), max_bytes=AUTOSAVE_MAX_BYTES, max_depth=1)
    except safe_json.JsonRefused as refusal:
        return jsonify(error="invalid", message=f"That request could not be read. {refusal}"), 400
    if not isinstance(payload, dict) or not isinstance(payload.get("question_id"), str):
        return jsonify(error="invalid", message="That request could not be read."), 400
    value, note = payload.get("value"), payload.get("note", "")
    revision = payload.get("revision", 0)
    if (
        (value is not None and not isinstance(value, str))
        or not isinstance(note, str)
        or not isinstance(revision, int)
        or isinstance(revision, bool)
    ):
        return jsonify(error="invalid", message="That request could not be read."), 400
    if len(note) > service.NOTE_MAX_LENGTH:
        return jsonify(
            error="too_long", message=f"Notes can be at most {service.NOTE_MAX_LENGTH} characters."
        ), 400
    item = service.Submitted(
        payload["question_id"], value or None, note.replace("\r\n", "\n"), revision
    )
    try:
        outcome = service.save_answers(assessment, [item], current_user)
    except service.InvalidSubmission as error:
        db.session.rollback()
        return jsonify(error="invalid", message=str(error)), 400
    except service.AssessmentError as error:
        db.session.rollback()
        return jsonify(error="locked", message=str(error)), 409
    db.session.commit()
    if outcome.conflicts:
        conflict = outcome.conflicts[0]
        question = service.questionnaire_of(assessment).question(conflict.question_id)
        return jsonify(
            error="conflict",
            message=f"{conflict.theirs_by} changed this answer at "
            f"{conflict.theirs_at:%H:%M}: “{question.label_for(conflict.theirs_value)}”. "
            "Press “Save and continue” to choose which to keep.",
            revision=conflict.theirs_revision,
        ), 409
    return jsonify(
        saved=bool(outcome.saved),
        revision=outcome.revisions.get(item.question_id),
        saved_at=utcnow().strftime("%H:%M"),
    )


@bp.post("/<int:assessment_id>/conflicts")
@role_required(Role.OPERATOR)
def resolve_conflicts(assessment_id: int) -> Response | tuple[str, int]:
    """Apply the person's choice for each conflicting answer ("mine" or "theirs")."""
    assessment = _load_for_editing(assessment_id)
    questionnaire = service.questionnaire_of(assessment)
    keep_mine = []
    for key in request.form:
        if not key.startswith("choice__"):
            continue
        question_id = key[len("choice__") :]
        if not questionnaire.has_question(question_id):
            abort(400)
        if request.form[key] == "mine":
            revision = request.form.get(f"theirs_revision__{question_id}", "0")
            keep_mine.append(
                service.Submitted(
                    question_id,
                    request.form.get(f"mine_value__{question_id}") or None,
                    request.form.get(f"mine_note__{question_id}", ""),
                    service.small_int(revision) or 0,
                )
            )
    outcome = service.save_answers(assessment, keep_mine, current_user)
    db.session.commit()
    # Only ever back into this assessment's own pages, rebuilt rather than echoed.
    match = re.fullmatch(
        r"/assessments/\d+/(steps/(\d{1,4})|review)", request.form.get("next_url", "")
    )
    if match and match.group(2) is not None:
        next_url = url_for("assess.step", assessment_id=assessment.id, number=int(match.group(2)))
    elif match:
        next_url = url_for("assess.review", assessment_id=assessment.id)
    else:
        next_url = url_for("assess.show", assessment_id=assessment.id)
    if outcome.conflicts:  # changed yet again while they were choosing
        return render_template(
            "assess/conflicts.html",
            assessment=assessment,
            step=None,
            outcome=outcome,
            questionnaire=questionnaire,
            next_url=next_url,
        ), 409
    flash("Your choices are saved.", "success")
    return redirect(next_url)


# --- saves after the session expired ---------------------------------------------------------


def _stash(assessment_id: int, number: int, owner: User) -> str | None:
    """Keep the answer fields of this post for ``owner``; return the token that brings them back.

    ``owner`` must be allowed to edit the assessment (checked here: another tenant gets 404).
    Nothing is kept from another site's page, nor anything a normal save would refuse.
    """
    assessment = access.get_or_404(Assessment, assessment_id, user=owner)
    if not owner.is_operator or not assessment.is_editable:
        abort(404)
    if not origin.is_same_origin():
        return None
    steps = service.steps_of(assessment)
    if not 0 <= number < len(steps):
        return None
    step = steps[number]
    expected = {field_name(p, q.id) for q in step.section.questions for p in ("a", "n", "r")}
    fields = {k: v for k, v in request.form.items() if k in expected}
    form = section_form(list(step.section.questions), formdata=request.form, csrf=False)
    if not fields or not form.validate():
        return None
    token = pending.keep(assessment, owner, number, fields)
    audit.record(
        "assessment.save_deferred",
        object_type="Assessment",
        object_id=assessment_id,
        organization_id=assessment.organization_id,
        actor=owner,
    )
    db.session.commit()
    return token


def _stash_and_sign_in(assessment_id: int, number: int) -> Response:
    """Signed out mid-save: keep what was posted for the person whose login expired, sign in,
    come back to the filled-in page. A post with no (even expired) login of ours is a stranger's:
    nothing is kept."""
    owner = sessions.expired_login_user()
    token = _stash(assessment_id, number, owner) if owner is not None else None
    if token is None:
        flash("Please sign in.", "info")
        return redirect(url_for("auth.login"))
    flash(
        "You were signed out, so your answers were not saved yet. Sign in again: they will "
        "be waiting for you.",
        "warning",
    )
    target = url_for("assess.step", assessment_id=assessment_id, number=number, restore=token)
    return redirect(url_for("auth.login", next=target))


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> Response | tuple[Any, int]:
    """An expired form on a wizard save keeps the answers instead of throwing them away."""
    try:
        return _csrf_failed(error)
    except NotFound:
        # Raised by the access check while stashing: another tenant's assessment.
        return render_template(
            "errors/error.html",
            code=404,
            title="Page not found",
            message="The page you asked for does not exist, or you do not have access to it.",
        ), 404


def _csrf_failed(error: CSRFError) -> Response | tuple[Any, int]:
    if request.endpoint == "assess.save_step" and request.view_args:
        assessment_id, number = request.view_args["assessment_id"], request.view_args["number"]
        if not current_user.is_authenticated:
            return _stash_and_sign_in(assessment_id, number)
        # Signed in, but the page's token is stale: show the answers again for a fresh save.
        token = _stash(assessment_id, number, current_user)
        return redirect(
            url_for("assess.step", assessment_id=assessment_id, number=number, restore=token)
            if token
            else request.path
        )
    if request.endpoint == "assess.autosave":
        return jsonify(error="csrf", message="Your page expired. Saving by form instead."), 400
    return render_template(
        "errors/error.html",
        code=400,
        title="Your form expired",
        message="Go back, reload the page and submit again.",
    ), 400


# --- review, submit, results ------------------------------------------------------------------


@bp.get("/<int:assessment_id>/review")
@read_only
@login_required
def review(assessment_id: int) -> str:
    assessment = _load_for_editing(assessment_id)
    steps = service.steps_of(assessment)
    rows = service.answer_rows(assessment)
    values = service.answer_values(rows)
    result = service.score_of(assessment, rows)
    per_step, overall = service.progress(steps, values)
    questionnaire = service.questionnaire_of(assessment)
    step_of = {q.id: s.number for s in steps for q in s.section.questions}
    unanswered = [(questionnaire.question(qid), step_of[qid]) for qid in result.unanswered]
    dont_know = [
        (questionnaire.question(qid), step_of[qid])
        for qid, v in values.items()
        if v == DONT_KNOW and qid in result.shown_question_ids
    ]
    return render_template(
        "assess/review.html",
        assessment=assessment,
        steps=steps,
        per_step=per_step,
        overall=overall,
        unanswered=unanswered,
        dont_know=dont_know,
    )


@bp.post("/<int:assessment_id>/submit")
@role_required(Role.OPERATOR)
def submit(assessment_id: int) -> Response:
    assessment = _load_for_editing(assessment_id)
    try:
        result = service.submit(assessment, current_user)
    except service.AssessmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("assess.review", assessment_id=assessment_id))
    audit.record(
        "assessment.submitted",
        object_type="Assessment",
        object_id=assessment.id,
        organization_id=assessment.organization_id,
        score=result.overall_score,
        tier=result.overall_tier_id,
    )
    db.session.commit()
    flash("Submitted. Your coordinator can now see this assessment.", "success")
    return redirect(url_for("assess.results", assessment_id=assessment.id))


@bp.get("/<int:assessment_id>/results")
@read_only
@login_required
def results(assessment_id: int) -> str:
    assessment = _load(assessment_id)
    questionnaire = service.questionnaire_of(assessment)
    rows = service.answer_rows(assessment)
    result = service.score_of(assessment, rows)
    plan = service.plan_of(assessment, result)
    comparison = service.compare_with_previous(assessment, result)
    from portal.review import stats

    priority_ids = [p.id for p in questionnaire.priorities]
    benchmarks = {
        sector.value: stats.peer_benchmark(sector.value, priority_ids)
        for sector in assessment.organization.sectors
    }
    previous_scores = {k: v[0] for k, v in comparison.priority_deltas.items()} if comparison else {}
    chart = priority_bars(
        [
            Bar(
                questionnaire.priority(p.priority_id).title,
                p.score,
                p.tier_id,
                previous_scores.get(p.priority_id),
            )
            for p in result.priorities
        ],
        title="Score per defensive priority, out of 100",
    )
    return render_template(
        "assess/results.html",
        assessment=assessment,
        questionnaire=questionnaire,
        result=result,
        plan=plan,
        chart=chart,
        comparison=comparison,
        benchmarks=benchmarks,
        min_peers=stats.MIN_PEERS,
        rows=rows,
    )


@bp.get("/<int:assessment_id>/export.json")
@login_required
def export_json(assessment_id: int) -> Response:
    assessment = _load(assessment_id)
    audit.record(
        "assessment.exported",
        object_type="Assessment",
        object_id=assessment.id,
        organization_id=assessment.organization_id,
        format="json",
    )
    db.session.commit()
    response = jsonify(service.export(assessment))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="assessment-{assessment.id}.json"'
    )
    return response


@bp.get("/<int:assessment_id>/plan.pdf")
@login_required
def plan_pdf(assessment_id: int) -> Response | tuple[str, int]:
    from portal.reports import documents
    from portal.toolrequests.routes import send

    assessment = _load(assessment_id)
    if assessment.is_editable and current_user.is_operator:
        flash("The remediation plan is made from a submitted assessment. Submit first.", "info")
        return redirect(url_for("assess.review", assessment_id=assessment.id))
    if assessment.is_editable:
        # Returned for revision: its answers are changing, so no plan is made from them until
        # the organization submits again.
        flash(
            "This assessment was returned for revision. Its plan is made again when the "
            "organization resubmits.",
            "info",
        )
        return redirect(url_for("review.assessment", assessment_id=assessment.id))
    return send(
        documents.plan_pdf,
        assessment,
        "assessment.plan_downloaded",
        "Assessment",
        assessment.id,
        assessment.organization_id,
        what="remediation plan",
        back_url=url_for("review.assessment", assessment_id=assessment.id)
        if current_user.role is not Role.OPERATOR
        else url_for("assess.results", assessment_id=assessment.id),
    )
