"""Saving answers without losing any: a revision counter per answer decides.

An answer whose stored revision moved on since the page was shown, and whose stored content
differs from what was posted, is a conflict — returned with both versions, not written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.assessments.errors import AssessmentError, InvalidSubmission
from portal.assessments.reading import (
    NOTE_MAX_LENGTH,
    answer_rows,
    answer_values,
    questionnaire_of,
    storable,
)
from portal.extensions import db
from portal.models import EDITABLE_STATUSES, Answer, Assessment, User, utcnow
from portal.questionnaire.words import _


@dataclass(frozen=True)
class Submitted:
    """One answer as posted: the value, the note, and the revision the page was showing."""

    question_id: str
    value: str | None
    note: str
    base_revision: int


@dataclass(frozen=True)
class Conflict:
    question_id: str
    yours: Submitted
    theirs_value: str | None
    theirs_note: str
    theirs_revision: int
    theirs_by: str
    theirs_at: datetime


@dataclass
class SaveOutcome:
    saved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    revisions: dict[str, int] = field(default_factory=dict)


def check_submission(assessment: Assessment, submissions: list[Submitted]) -> None:
    """Reject what the wizard never offers: unknown questions or values, overlong notes.

    Needs no stored answers, so it runs before the assessment is claimed: a malformed post never
    takes the row lock. Whether each question is shown is checked after (:func:`_check_shown`).
    """
    if not assessment.is_editable:
        raise AssessmentError(_("This assessment has been submitted and can no longer be changed."))
    questionnaire = questionnaire_of(assessment)
    in_scope = {q.id for q in questionnaire.questions_in(assessment.modules)}
    for item in submissions:
        if item.question_id not in in_scope:
            raise InvalidSubmission(
                _(
                    "%(question)s is not a question of this assessment.",
                    question=repr(item.question_id),
                )
            )
        question = questionnaire.question(item.question_id)
        if item.value is not None and not question.accepts(item.value):
            raise InvalidSubmission(
                _(
                    "%(value)s is not an answer to %(question)s.",
                    value=repr(item.value),
                    question=item.question_id,
                )
            )
        if len(item.note) > NOTE_MAX_LENGTH:
            raise InvalidSubmission(
                _("A note can be at most %(max)s characters.", max=NOTE_MAX_LENGTH)
            )
        if not storable(item.note):
            raise InvalidSubmission(_("A note contains invisible control characters; remove them."))


def _check_shown(
    assessment: Assessment, submissions: list[Submitted], rows: dict[str, Answer]
) -> None:
    """Reject a question no page could have shown.

    A question is refused only if it is hidden both by the stored answers and by the stored
    answers with this post laid over them. One revealed by this post is accepted; one hidden by
    this post keeps its posted answer (it just does not count), so nothing a person typed is
    ever dropped.
    """
    questionnaire = questionnaire_of(assessment)
    stored = answer_values(rows)
    merged = dict(stored)
    merged.update({i.question_id: i.value for i in submissions if i.value is not None})
    for item in submissions:
        question = questionnaire.question(item.question_id)
        if not question.is_shown(stored) and not question.is_shown(merged):
            raise InvalidSubmission(
                _("%(question)s is not asked, given your answers.", question=item.question_id)
            )


def save_section(assessment: Assessment, submissions: list[Submitted], user: User) -> SaveOutcome:
    """:func:`save_answers` for a whole wizard page, audited when anything was saved.

    (Autosaves of single answers are not audited one by one: the page save that follows is.)
    """
    outcome = save_answers(assessment, submissions, user)
    if outcome.saved:
        audit.record_for(
            assessment, "assessment.answers_saved", actor=user, count=len(outcome.saved)
        )
    return outcome


def save_answers(assessment: Assessment, submissions: list[Submitted], user: User) -> SaveOutcome:
    """Save each posted answer unless someone else changed it since the page was shown."""
    check_submission(assessment, submissions)
    now = utcnow()
    # Claim the assessment while it is still editable. A plain UPDATE: it must not bump the
    # version counter (that guards status changes, or two autosaves would collide), and on
    # PostgreSQL its row lock orders this save against a concurrent submit (which locks the
    # row before reading answers), so no answer lands in an assessment already submitted.
    claimed = db.session.execute(
        sa.update(Assessment)
        .where(Assessment.id == assessment.id, Assessment.status.in_(EDITABLE_STATUSES))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        raise AssessmentError(_("This assessment has been submitted and can no longer be changed."))
    # Read once, after the claim: the check and the compare-and-set below see the same answers.
    rows = answer_rows(assessment)
    _check_shown(assessment, submissions, rows)
    outcome = SaveOutcome()
    for item in submissions:
        row = rows.get(item.question_id)
        if row is None:
            if item.value is None and not item.note:
                outcome.unchanged.append(item.question_id)
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(
                        Answer(
                            assessment_id=assessment.id,
                            question_id=item.question_id,
                            value=item.value,
                            note=item.note,
                            revision=1,
                            updated_by_id=user.id,
                            updated_at=now,
                        )
                    )
                    db.session.flush()
            except IntegrityError:
                # A colleague saved this very question a moment ago.
                row = db.session.scalar(
                    sa.select(Answer).where(
                        Answer.assessment_id == assessment.id,
                        Answer.question_id == item.question_id,
                    )
                )
                assert row is not None
                _conflict_or_same(row, item, outcome)
                continue
            outcome.saved.append(item.question_id)
            outcome.revisions[item.question_id] = 1
            continue
        same = row.value == item.value and row.note == item.note
        if item.value is None and row.value is not None and row.note == item.note:
            same = True  # an unselected radio never clears a stored answer
        if same:
            outcome.unchanged.append(item.question_id)
            outcome.revisions[item.question_id] = row.revision
            continue
        if row.revision != item.base_revision:
            _conflict_or_same(row, item, outcome)
            continue
        # Compare-and-set: only if nobody wrote since we read (another worker, another tab).
        new_revision = db.session.scalar(
            sa.update(Answer)
            .where(Answer.id == row.id, Answer.revision == item.base_revision)
            .values(
                value=item.value if item.value is not None else row.value,
                note=item.note,
                revision=Answer.revision + 1,
                updated_by_id=user.id,
                updated_at=now,
            )
            .returning(Answer.revision)
            .execution_options(synchronize_session=False)
        )
        if new_revision is None:
            db.session.refresh(row)
            _conflict_or_same(row, item, outcome)
            continue
        db.session.expire(row)  # the row changed under the ORM; read it afresh if asked
        outcome.saved.append(item.question_id)
        outcome.revisions[item.question_id] = new_revision
    db.session.flush()
    return outcome


def _conflict_or_same(row: Answer, item: Submitted, outcome: SaveOutcome) -> None:
    if row.value == item.value and row.note == item.note:
        outcome.unchanged.append(item.question_id)
        outcome.revisions[item.question_id] = row.revision
        return
    author = db.session.get(User, row.updated_by_id) if row.updated_by_id else None
    outcome.conflicts.append(
        Conflict(
            question_id=item.question_id,
            yours=item,
            theirs_value=row.value,
            theirs_note=row.note,
            theirs_revision=row.revision,
            theirs_by=author.full_name if author else _("someone"),
            theirs_at=row.updated_at,
        )
    )
