"""What a coordinator decides: comments, accepting or returning an assessment, and deciding a
tool-access request. Each checked by the state machine (:mod:`portal.review.workflow`),
recorded, audited, and flushed for the view to commit."""

from __future__ import annotations

from portal import audit
from portal.assessments.lifecycle import record_status
from portal.assessments.reading import open_assessment
from portal.extensions import db
from portal.figures.cache import figures_changed_on_commit
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


def add_comment(assessment: Assessment, user: User, question_id: str | None, body: str) -> None:
    db.session.add(
        ReviewComment(
            assessment_id=assessment.id,
            author_id=user.id,
            question_id=question_id or None,
            body=body.replace("\r\n", "\n"),
        )
    )
    audit.record_for(assessment, "assessment.commented", actor=user)


def decide_assessment(assessment: Assessment, action: str, user: User) -> AssessmentStatus:
    """ "accept" or "return". Raises ``workflow.TransitionRefused`` (with the reason) when the
    move does not fit the assessment's status."""
    new_status = AssessmentStatus(workflow.assessment_transition(assessment.status.value, action))
    if action == "return":
        other = open_assessment(assessment.organization)
        if other is not None and other.id != assessment.id:
            raise workflow.TransitionRefused(
                "This organization already has a draft in progress, so this assessment cannot "
                "be returned to them as a draft. Comment instead, or accept it."
            )
    before = assessment.status
    assessment.status = new_status
    assessment.decided_at = utcnow()
    record_status(assessment, before, new_status, user)
    audit.record_for(
        assessment,
        f"assessment.{'accepted' if action == 'accept' else 'returned'}",
        actor=user,
    )
    return new_status


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
    return new_status
