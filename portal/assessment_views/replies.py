"""An operator's reply to a coordinator's comment on a question of a returned assessment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.assessment_views.blueprint import bp, load_for_editing
from portal.assessment_views.forms import ReplyForm
from portal.assessments import revision
from portal.auth.decorators import role_required
from portal.extensions import db
from portal.models import Assessment, AssessmentStatus, Role
from portal.readonly import read_only


def _point(assessment: Assessment, question_id: str) -> revision.RevisionPoint:
    """This round's thread on ``question_id``; 404 when there is none to reply to: the question
    has no comment, the comment was answered by a later submission, or the assessment is not
    back with the organization (a reply to a submitted one would settle a point before the
    coordinator has even returned it)."""
    if assessment.status is not AssessmentStatus.RETURNED:
        abort(404)
    point = next(
        (p for p in revision.revision_of(assessment).points if p.question.id == question_id), None
    )
    if point is None:
        abort(404)
    return point


def _page(
    assessment: Assessment, point: revision.RevisionPoint, form: ReplyForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "assess/reply.html", assessment=assessment, point=point, form=form
    ), status


@bp.get("/<int:assessment_id>/questions/<question_id>/reply")
@read_only
@role_required(Role.OPERATOR)
def reply_form(assessment_id: int, question_id: str) -> tuple[str, int]:
    assessment = load_for_editing(assessment_id)
    return _page(assessment, _point(assessment, question_id), ReplyForm())


@bp.post("/<int:assessment_id>/questions/<question_id>/reply")
@role_required(Role.OPERATOR)
def reply(assessment_id: int, question_id: str) -> Response | tuple[str, int]:
    assessment = load_for_editing(assessment_id)
    point = _point(assessment, question_id)
    form = ReplyForm()
    if not form.validate():
        return _page(assessment, point, form, 400)
    revision.add_comment(assessment, current_user, question_id, form.body.data or "")
    db.session.commit()
    flash(
        _("Your reply is saved. Your coordinator sees it with the answer when you resubmit."),
        "success",
    )
    return redirect(
        url_for("assess.step", assessment_id=assessment.id, number=point.step_number)
        + f"#q-{question_id}"
    )
