"""A returned assessment's way back: the questions a coordinator commented on, whether each has
been dealt with since (the answer changed, or the operator replied), and — once resubmitted —
what changed since the return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import orm

from portal import audit
from portal.assessments.reading import answer_rows, questionnaire_of, steps_of
from portal.extensions import db
from portal.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    ReviewComment,
    Role,
    StatusChange,
    User,
)
from portal.questionnaire.model import Question


class PointStatus(StrEnum):
    OPEN = "open"  # the coordinator's last word is newer than the answer and any reply
    CHANGED = "changed"  # the answer or its note changed after the comment
    REPLIED = "replied"  # the operator answered the comment in words


@dataclass(frozen=True)
class RevisionPoint:
    """One commented question: its thread (coordinator and operator, oldest first)."""

    question: Question
    step_number: int
    comments: tuple[ReviewComment, ...]
    status: PointStatus

    @property
    def is_open(self) -> bool:
        return self.status is PointStatus.OPEN


@dataclass(frozen=True)
class Revision:
    points: tuple[RevisionPoint, ...]
    general: tuple[ReviewComment, ...]  # on the assessment as a whole

    @property
    def open_points(self) -> list[RevisionPoint]:
        return [p for p in self.points if p.is_open]

    @property
    def steps_with_open_points(self) -> set[int]:
        return {p.step_number for p in self.points if p.is_open}

    def thread(self, question_id: str) -> RevisionPoint | None:
        return next((p for p in self.points if p.question.id == question_id), None)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_reviewer_comment(comment: ReviewComment) -> bool:
    # A comment whose author has since been removed was a reviewer's: operators only reply.
    return comment.author is None or comment.author.role is not Role.OPERATOR


def revision_of(assessment: Assessment, rows: dict[str, Answer] | None = None) -> Revision:
    """The commented questions of ``assessment`` in questionnaire order, with their state."""
    rows = answer_rows(assessment) if rows is None else rows
    questionnaire = questionnaire_of(assessment)
    step_of = {q.id: s.number for s in steps_of(assessment) for q in s.section.questions}
    threads: dict[str, list[ReviewComment]] = {}
    general: list[ReviewComment] = []
    for comment in db.session.scalars(
        sa.select(ReviewComment)
        .options(orm.joinedload(ReviewComment.author))
        .where(ReviewComment.assessment_id == assessment.id)
        .order_by(ReviewComment.created_at, ReviewComment.id)
    ):
        if comment.question_id and comment.question_id in step_of:
            threads.setdefault(comment.question_id, []).append(comment)
        else:
            general.append(comment)
    points = []
    for question in questionnaire.questions_in(assessment.modules):
        thread = threads.get(question.id)
        if not thread or not any(is_reviewer_comment(c) for c in thread):
            continue
        points.append(
            RevisionPoint(
                question,
                step_of[question.id],
                tuple(thread),
                _status(thread, rows.get(question.id)),
            )
        )
    return Revision(tuple(points), tuple(general))


def add_comment(assessment: Assessment, user: User, question_id: str | None, body: str) -> None:
    """A coordinator's comment, or an operator's reply (on a question with a thread)."""
    db.session.add(
        ReviewComment(
            assessment_id=assessment.id,
            author_id=user.id,
            question_id=question_id or None,
            body=body.replace("\r\n", "\n"),
        )
    )
    audit.record_for(
        assessment,
        "assessment.replied" if user.role is Role.OPERATOR else "assessment.commented",
        actor=user,
    )


def _status(thread: list[ReviewComment], row: Answer | None) -> PointStatus:
    last_asked = max(_aware(c.created_at) for c in thread if is_reviewer_comment(c))
    replies = [_aware(c.created_at) for c in thread if not is_reviewer_comment(c)]
    if row is not None and _aware(row.updated_at) > last_asked:
        return PointStatus.CHANGED
    if replies and max(replies) > last_asked:
        return PointStatus.REPLIED
    return PointStatus.OPEN


def snapshot(assessment: Assessment) -> dict[str, list[str | None]]:
    """The answers as they stand, kept on a return."""
    return {qid: [row.value, row.note or None] for qid, row in answer_rows(assessment).items()}


@dataclass(frozen=True)
class ChangeSinceReturn:
    question: Question
    before: str | None
    after: str | None
    note_before: str | None
    note_after: str | None

    @property
    def answer_changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class SinceReturn:
    returned_at: datetime
    changes: tuple[ChangeSinceReturn, ...]


def changes_since_return(
    assessment: Assessment, rows: dict[str, Answer] | None = None
) -> SinceReturn | None:
    """What the operator changed between the latest return and the resubmission; None when the
    assessment was never returned or is back with the operator now."""
    if assessment.status is AssessmentStatus.RETURNED:
        return None
    returned = db.session.scalars(
        sa.select(StatusChange)
        .where(
            StatusChange.assessment_id == assessment.id,
            StatusChange.to_status == AssessmentStatus.RETURNED,
        )
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .limit(1)
    ).first()
    if returned is None or returned.answers is None:
        return None
    rows = answer_rows(assessment) if rows is None else rows
    now = {qid: [row.value, row.note or None] for qid, row in rows.items()}
    changes = []
    for question in questionnaire_of(assessment).questions_in(assessment.modules):
        before = returned.answers.get(question.id, [None, None])
        after = now.get(question.id, [None, None])
        if before != after:
            changes.append(ChangeSinceReturn(question, before[0], after[0], before[1], after[1]))
    return SinceReturn(returned.at, tuple(changes))
