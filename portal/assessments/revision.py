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
from portal.assessments.reading import answer_rows, questionnaire_of, step_numbers, steps_of
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
    OPEN = "open"  # asked in this round; neither the answer changed nor a reply came since
    CHANGED = "changed"  # the answer or its note differs from what it was at the return
    REPLIED = "replied"  # the operator answered the comment in words after it
    EARLIER = "earlier"  # a thread of an earlier round: shown, asks nothing now


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

    @property
    def last_request(self) -> ReviewComment:
        """The coordinator's latest word on the question (replies aside)."""
        return [c for c in self.comments if is_reviewer_comment(c)][-1]


@dataclass(frozen=True)
class Revision:
    points: tuple[RevisionPoint, ...]  # this round's: what the coordinator asks now
    general: tuple[ReviewComment, ...]  # on the assessment as a whole
    earlier: tuple[RevisionPoint, ...] = ()  # threads of earlier rounds, for reading

    @property
    def open_points(self) -> list[RevisionPoint]:
        return [p for p in self.points if p.is_open]

    @property
    def steps_with_open_points(self) -> set[int]:
        return {p.step_number for p in self.points if p.is_open}

    def thread(self, question_id: str) -> RevisionPoint | None:
        return next(
            (p for p in (*self.points, *self.earlier) if p.question.id == question_id), None
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_reviewer_comment(comment: ReviewComment) -> bool:
    # A comment whose author has since been removed was a reviewer's: operators only reply.
    return comment.author is None or comment.author.role is not Role.OPERATOR


def revision_of(assessment: Assessment, rows: dict[str, Answer] | None = None) -> Revision:
    """The commented questions of ``assessment`` in questionnaire order, with their state."""
    rows = answer_rows(assessment) if rows is None else rows
    questionnaire = questionnaire_of(assessment)
    step_of = step_numbers(steps_of(assessment))
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
    # A round runs from a submission to the next: what was asked before the latest submission
    # was answered by it. Answers count as changed against what they were at this round's return.
    round_start = _aware(assessment.submitted_at) if assessment.submitted_at else None
    at_return = (
        _return_snapshot(assessment) if assessment.status is AssessmentStatus.RETURNED else None
    )
    points, earlier = [], []
    for question in questionnaire.questions_in(assessment.modules):
        thread = threads.get(question.id)
        if not thread or not any(is_reviewer_comment(c) for c in thread):
            continue
        this_round = [
            c for c in thread if round_start is None or _aware(c.created_at) >= round_start
        ]
        if not any(is_reviewer_comment(c) for c in this_round):
            earlier.append(
                RevisionPoint(question, step_of[question.id], tuple(thread), PointStatus.EARLIER)
            )
            continue
        row = rows.get(question.id)
        now = [row.value, row.note or None] if row is not None else [None, None]
        changed = at_return is not None and now != at_return.get(question.id, [None, None])
        points.append(
            RevisionPoint(
                question, step_of[question.id], tuple(thread), _status(this_round, changed)
            )
        )
    return Revision(tuple(points), tuple(general), tuple(earlier))


def _latest_return(assessment: Assessment) -> StatusChange | None:
    return db.session.scalars(
        sa.select(StatusChange)
        .where(
            StatusChange.assessment_id == assessment.id,
            StatusChange.to_status == AssessmentStatus.RETURNED,
        )
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .limit(1)
    ).first()


def _return_snapshot(assessment: Assessment) -> dict[str, list[str | None]] | None:
    returned = _latest_return(assessment)
    return None if returned is None else returned.answers


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


def _status(this_round: list[ReviewComment], changed: bool) -> PointStatus:
    if changed:
        return PointStatus.CHANGED
    last_asked = max(_aware(c.created_at) for c in this_round if is_reviewer_comment(c))
    if any(_aware(c.created_at) > last_asked for c in this_round if not is_reviewer_comment(c)):
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
    returned = _latest_return(assessment)
    if returned is None or returned.answers is None:
        return None  # never returned, or returned before the portal kept the answers
    rows = answer_rows(assessment) if rows is None else rows
    now = {qid: [row.value, row.note or None] for qid, row in rows.items()}
    changes = []
    for question in questionnaire_of(assessment).questions_in(assessment.modules):
        before = returned.answers.get(question.id, [None, None])
        after = now.get(question.id, [None, None])
        if before != after:
            changes.append(ChangeSinceReturn(question, before[0], after[0], before[1], after[1]))
    return SinceReturn(returned.at, tuple(changes))
