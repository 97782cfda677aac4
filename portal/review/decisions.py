"""What a coordinator decides: comments, accepting or returning an assessment, and deciding a
tool-access request. Each checked by the state machine (:mod:`portal.review.workflow`),
recorded, audited, and flushed for the view to commit."""

from __future__ import annotations

import sqlalchemy as sa

from portal import audit
from portal.assessments import reading, revision
from portal.assessments.lifecycle import record_status
from portal.assessments.reading import open_assessment
from portal.extensions import db
from portal.figures.cache import figures_changed_on_commit
from portal.mail import notices
from portal.mail.compose import link
from portal.models import (
    Assessment,
    AssessmentStatus,
    ReviewComment,
    ToolRequest,
    ToolRequestStatus,
    User,
    utcnow,
)
from portal.review import workflow


def decide_assessment(assessment: Assessment, action: str, user: User) -> AssessmentStatus:
    """ "accept" or "return". Raises ``workflow.TransitionRefused`` (with the reason) when the
    move does not fit the assessment's status."""
    new_status = AssessmentStatus(workflow.assessment_transition(assessment.status.value, action))
    if action == "return" and (refusal := _other_draft(assessment)) is not None:
        raise workflow.TransitionRefused(refusal)
    before = assessment.status
    assessment.status = new_status
    assessment.decided_at = utcnow()
    # A return keeps the answers as they stand, for "what changed since" on resubmission.
    snapshot = revision.snapshot(assessment) if action == "return" else None
    record_status(assessment, before, new_status, user, answers=snapshot)
    audit.record_for(
        assessment,
        f"assessment.{'accepted' if action == 'accept' else 'returned'}",
        actor=user,
    )
    if action == "return":
        notices.assessment_returned(assessment, _comments_of_this_round(assessment), user)
    else:
        notices.assessment_accepted(assessment, user)
    return new_status


def return_refusal(assessment: Assessment) -> str | None:
    """Why ``assessment`` cannot be returned now, in words; None when it can."""
    try:
        workflow.assessment_transition(assessment.status.value, "return")
    except workflow.TransitionRefused as refusal:
        return str(refusal)
    return _other_draft(assessment)


def _other_draft(assessment: Assessment) -> str | None:
    other = open_assessment(assessment.organization)
    if other is not None and other.id != assessment.id:
        return (
            "This organization already has a draft in progress, so this assessment cannot "
            "be returned to them as a draft. Comment instead, or accept it."
        )
    return None


def _comments_of_this_round(assessment: Assessment) -> list[notices.CommentedQuestion]:
    """The comments made on this submission, each with a link to its question's step."""
    questionnaire = reading.questionnaire_of(assessment)
    step_of = {q.id: s.number for s in reading.steps_of(assessment) for q in s.section.questions}
    query = sa.select(ReviewComment).where(ReviewComment.assessment_id == assessment.id)
    if assessment.submitted_at is not None:
        query = query.where(ReviewComment.created_at >= assessment.submitted_at)
    whole = link("assess.show", assessment_id=assessment.id)
    commented = []
    for comment in db.session.scalars(query.order_by(ReviewComment.created_at)):
        qid = comment.question_id
        if qid and qid in step_of:
            url = link("assess.step", assessment_id=assessment.id, number=step_of[qid])
            commented.append(
                notices.CommentedQuestion(
                    questionnaire.question(qid).text, comment.body, f"{url}#q-{qid}"
                )
            )
        else:
            commented.append(notices.CommentedQuestion("", comment.body, whole))
    return commented


def decide_tool_request(
    request: ToolRequest, action: str, reason: str, user: User
) -> ToolRequestStatus:
    """ "approve", "deny" (with a reason the operator sees) or "fulfil"."""
    reason = reason.replace("\r\n", "\n")
    new_status = ToolRequestStatus(
        workflow.tool_request_transition(request.status.value, action, reason)
    )
    before = request.status.value
    request.status = new_status
    request.decided_by_id = user.id
    request.decided_at = utcnow()
    if reason:
        request.decision_reason = reason
    audit.record_for(request, f"tool_request.{new_status.value}", actor=user, before=before)
    figures_changed_on_commit(db.session(), [])  # the dashboard counts requests by status
    notices.tool_request_decided(request, user)
    return new_status
