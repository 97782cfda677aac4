"""Coordinator workspace: the jurisdiction's queue, assessment review, tool-request decisions."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from portal import access
from portal.assessments import lifecycle, reading, revision
from portal.assessments import state as assessment_state
from portal.auth.decorators import role_required, step_up_required
from portal.exports import coordinator
from portal.exports.download import download, table_download
from portal.extensions import db
from portal.models import (
    Assessment,
    AssessmentStatus,
    Role,
    StatusChange,
    ToolRequest,
    ToolRequestStatus,
    User,
)
from portal.readonly import read_only
from portal.review import answer_review, queue
from portal.review.forms import (
    TIERS,
    CommentForm,
    DecisionForm,
    QueueFilterForm,
    ReturnForm,
)
from portal.scoring.headline import headline
from portal.toolrequests import service as tool_requests_service

bp = Blueprint("review", __name__, url_prefix="/review")
REVIEWERS = (Role.COORDINATOR, Role.ADMIN)


@bp.get("/")
@read_only
@role_required(*REVIEWERS)
def index() -> str | tuple[str, int]:
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("review/queue.html", form=form, page=None), 400
    filters = form.filters()
    try:
        page = queue.queue_page(current_user, filters, request.args.get("after"))
    except queue.BadCursor:
        form.form_errors.append(
            _("That page link is not valid any more; start from the first page.")
        )
        return render_template("review/queue.html", form=form, page=None), 400
    next_args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template(
        "review/queue.html", form=form, page=page, next_args=next_args, tier_labels=TIERS
    )


def _comment_form(assessment: Assessment) -> CommentForm:
    form = CommentForm()
    questionnaire = reading.questionnaire_of(assessment)
    form.question_id.choices = {
        "": _("The assessment as a whole"),
        **{q.id: q.text[:90] for q in questionnaire.questions_in(assessment.modules)},
    }
    return form


def _detail(
    assessment: Assessment, comment_form: CommentForm | None = None, status: int = 200
) -> tuple[str, int]:
    state = assessment_state.load(assessment)
    history = db.session.scalars(
        sa.select(Assessment)
        .where(
            Assessment.organization_id == assessment.organization_id,
            Assessment.status.in_(queue.QUEUE_STATUSES),
        )
        .order_by(Assessment.submitted_at.desc())
    ).all()
    changes = db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.assessment_id == assessment.id)
        .order_by(StatusChange.at)
    ).all()
    requests = db.session.scalars(
        sa.select(ToolRequest).where(ToolRequest.assessment_id == assessment.id)
    ).all()
    operators = db.session.scalars(
        sa.select(User)
        .where(User.organization_id == assessment.organization_id, User.is_active)
        .order_by(User.full_name)
    ).all()
    only_attention = request.args.get("show") == "attention"
    show_all = request.args.get("show") == "all"
    thread = revision.revision_of(assessment, state.rows)
    sections = answer_review.sections(state, reading.steps_of(assessment), thread)
    return render_template(
        "review/assessment.html",
        assessment=assessment,
        questionnaire=state.questionnaire,
        result=state.result,
        lead=headline(state.questionnaire, state.result),
        sections=sections,
        attention_count=sum(len(s.attention_rows) for s in sections),
        only_attention=only_attention,
        show_all=show_all,
        general_comments=thread.general,
        since_return=revision.changes_since_return(assessment, state.rows),
        clashes=state.clashes,
        rows=state.rows,
        history=history,
        changes=changes,
        tool_requests=requests,
        operators=operators,
        comment_form=comment_form or _comment_form(assessment),
        # Comments reach the operator with a return, or on the draft they are revising.
        can_comment=assessment.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED),
    ), status


@bp.get("/assessments/<int:assessment_id>")
@read_only
@role_required(*REVIEWERS)
def assessment(assessment_id: int) -> tuple[str, int]:
    return _detail(access.get_or_404(Assessment, assessment_id))


@bp.post("/assessments/<int:assessment_id>/comments")
@role_required(*REVIEWERS)
def comment(assessment_id: int) -> Response | tuple[str, int]:
    item = access.get_or_404(Assessment, assessment_id)
    form = _comment_form(item)
    if not form.validate():
        return _detail(item, form, 400)
    revision.add_comment(item, current_user, form.question_id.data, form.body.data or "")
    db.session.commit()
    flash(_("Comment added. The operator sees it with the assessment."), "success")
    anchor = f"#row-{form.question_id.data}" if form.question_id.data else "#comments"
    return redirect(url_for("review.assessment", assessment_id=item.id) + anchor)


@bp.post("/assessments/<int:assessment_id>/accept")
@role_required(*REVIEWERS)
def accept(assessment_id: int) -> Response:
    return _decide(access.get_or_404(Assessment, assessment_id), "accept")


def _return_page(assessment: Assessment, form: ReturnForm, status: int = 200) -> tuple[str, int]:
    rev = revision.revision_of(assessment)
    return render_template(
        "review/return.html", assessment=assessment, form=form, revision=rev
    ), status


@bp.get("/assessments/<int:assessment_id>/return")
@read_only
@role_required(*REVIEWERS)
def confirm_return(assessment_id: int) -> Response | tuple[str, int]:
    """Returning asks for a message first: the operator's way back starts from it."""
    item = access.get_or_404(Assessment, assessment_id)
    refusal = lifecycle.return_refusal(item)
    if refusal is not None:  # said before a message is written, not after
        flash(refusal, "warning")
        return redirect(url_for("review.assessment", assessment_id=item.id))
    return _return_page(item, ReturnForm())


@bp.post("/assessments/<int:assessment_id>/return")
@role_required(*REVIEWERS)
def return_for_revision(assessment_id: int) -> Response | tuple[str, int]:
    item = access.get_or_404(Assessment, assessment_id)
    form = ReturnForm()
    if not form.validate():
        return _return_page(item, form, 400)
    if item.status is AssessmentStatus.SUBMITTED:
        revision.add_comment(item, current_user, None, form.message.data or "")
    return _decide(item, "return")


def _decide(item: Assessment, action: str) -> Response:
    try:
        lifecycle.decide(item, action, current_user)
    except lifecycle.TransitionRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("review.assessment", assessment_id=item.id))
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(
            _("Someone changed this assessment at the same moment; here is its current state."),
            "warning",
        )
        return redirect(url_for("review.assessment", assessment_id=item.id))
    flash(
        _("Accepted.")
        if action == "accept"
        else _("Returned for revision: the operator can edit it again and sees your comments."),
        "success",
    )
    return redirect(url_for("review.assessment", assessment_id=item.id))


@bp.get("/tool-requests")
@read_only
@role_required(*REVIEWERS)
def tool_requests() -> str | tuple[str, int]:
    wanted = request.args.get("status", "submitted")
    if wanted not in {s.value for s in ToolRequestStatus} | {"all"}:
        wanted = "submitted"
    after = request.args.get("after")
    try:
        page = queue.tool_request_page(current_user, wanted, after)
    except queue.BadCursor:
        flash(_("That page link is not valid any more; here is the first page."), "error")
        page, status, after = queue.tool_request_page(current_user, wanted, None), 400, None
    else:
        status = 200
    return render_template(
        "review/tool_requests.html",
        page=page,
        wanted=wanted,
        show_first_link=bool(after),
        page_size=queue.REQUEST_PAGE_SIZE,
        form=DecisionForm(),
    ), status


@bp.post("/tool-requests/<int:request_id>/decide")
@role_required(*REVIEWERS)
def decide_tool_request(request_id: int) -> Response:
    item = access.get_or_404(ToolRequest, request_id)
    form = DecisionForm()
    back = url_for("toolrequests.show", request_id=item.id)
    if not form.validate():
        errors = [e for field in (form.action, form.reason) for e in field.errors]
        flash(errors[0] if errors else _("Choose a decision."), "error")
        return redirect(back)
    try:
        new_status = tool_requests_service.decide(
            item, form.action.data or "", form.reason.data or "", current_user
        )
    except tool_requests_service.TransitionRefused as refusal:
        flash(str(refusal), "error")
        return redirect(back)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(
            _("Someone decided this request at the same moment; here is its current state."),
            "warning",
        )
        return redirect(back)
    done = {
        ToolRequestStatus.APPROVED: _("Request approved."),
        ToolRequestStatus.DENIED: _("Request denied."),
        ToolRequestStatus.FULFILLED: _("Request fulfilled."),
    }
    flash(done.get(new_status) or _("Request %(status)s.", status=new_status.value), "success")
    return redirect(back)


# --- exports and the regional dashboard ------------------------------------------------------


@bp.get("/export.<any(csv, xlsx):kind>")
@role_required(*REVIEWERS)
@step_up_required
def export_queue(kind: Literal["csv", "xlsx"]) -> Response | tuple[str, int]:
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("review/queue.html", form=form, page=None), 400
    table = coordinator.queue_table(queue.export_rows(current_user, form.filters()))
    return table_download(table, "review-queue", kind, audited_as="review.queue_exported",
                          object_type="Queue")  # fmt: skip


@bp.get("/oscal.zip")
@role_required(*REVIEWERS)
@step_up_required
def oscal_zip() -> Response | tuple[str, int]:
    """The OSCAL files of each organization's latest accepted assessment that the queue's
    filters select, up to OSCAL_ZIP_LIMIT (more, or none: the queue says so)."""
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("review/queue.html", form=form, page=None), 400
    limit = coordinator.OSCAL_ZIP_LIMIT
    chosen, total = queue.accepted_latest(current_user, form.filters(), limit)
    if not chosen or total > limit:
        flash(
            ngettext(
                "These filters select %(count)s accepted assessment; one OSCAL download holds at "
                "most %(limit)s. Choose a county or a sector first.",
                "These filters select %(count)s accepted assessments; one OSCAL download holds at "
                "most %(limit)s. Choose a county or a sector first.",
                total,
                count=format(total, ","),
                limit=limit,
            )
            if total
            else _("These filters select no accepted assessment: there is nothing to download."),
            "warning",
        )
        kept = request.query_string.decode()  # back to the queue with the same filters
        return redirect(url_for("review.index") + (f"?{kept}" if kept else ""))
    body = coordinator.oscal_zip(chosen, filters=request.query_string.decode())
    db.session.commit()
    return download(body, "accepted-assessments-oscal.zip", "application/zip")
