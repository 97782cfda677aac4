"""An assessment's life, owned here and nowhere else: started (pre-filled from the last
submission), submitted with its stored aggregates, accepted or returned by a coordinator — every
move checked against the one transition table (:data:`TRANSITIONS`) and recorded, with the
latest-submission flag moved.

Each call that changes something writes its audit row too; none commits (the view does, once).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import audit, questionnaire_versions
from portal.assessments import reading, revision
from portal.assessments.errors import AnswersDisagree, AssessmentError
from portal.assessments.reading import answer_rows, latest_submitted, open_assessment
from portal.assessments.state import load
from portal.extensions import db
from portal.figures.cache import figures_changed_on_commit
from portal.mail import notices
from portal.mail.compose import link
from portal.models import (
    Answer,
    Assessment,
    AssessmentCriticalGap,
    AssessmentPriorityScore,
    AssessmentStatus,
    Organization,
    OrganizationSector,
    ReviewComment,
    StatusChange,
    User,
    utcnow,
)
from portal.questionnaire.words import N_, _, ngettext
from portal.scoring import ScoreResult
from portal.transitions import TransitionTable


class TransitionRefused(AssessmentError):
    """The move is not allowed from the current status; the message says why."""


class _Refusal(str):
    """A refusal marked for translation (:func:`N_`), translated when the table fills it in."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        if "status" in kwargs:  # the status in words, in the same language
            kwargs["status"] = _(STATUS_WORDS.get(kwargs["status"], kwargs["status"]))
        return _(str(self)).format(*args, **kwargs)


# An assessment's status inside a sentence ("…; this one is returned for revision").
STATUS_WORDS = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "returned": N_("returned"),
    "accepted": N_("accepted"),
}


# Every path that moves an assessment asks this table.
TRANSITIONS = TransitionTable(
    moves={
        ("draft", "submit"): "submitted",
        ("returned", "submit"): "submitted",
        ("submitted", "return"): "returned",
        ("submitted", "accept"): "accepted",
    },
    refusals={
        "accept": _Refusal(
            N_("Only a submitted assessment can be accepted; this one is {status}.")
        ),
        "return": _Refusal(
            N_("Only a submitted assessment can be returned for revision; this one is {status}.")
        ),
        "submit": _Refusal(
            N_("This assessment has already been submitted; it cannot be submitted again.")
        ),
    },
    refused=TransitionRefused,
)
assessment_transition = TRANSITIONS.next_status


def start(organization: Organization, user: User) -> Assessment:
    """Start a draft for ``organization``, pre-filled from its last submission if any."""
    assessment = new_draft(organization, user, prefill=True)
    audit.record_for(
        assessment,
        "assessment.started",
        actor=user,
        prefilled_from=assessment.previous_assessment_id,
    )
    return assessment


def new_draft(organization: Organization, user: User, *, prefill: bool) -> Assessment:
    """A new draft (the one open assessment an organization may have); the caller audits."""
    if open_assessment(organization) is not None:
        raise AssessmentError(_("You already have an assessment in progress; continue that one."))
    version = questionnaire_versions.publish_current()
    questionnaire = questionnaire_versions.current()
    sectors = organization.sectors
    previous = latest_submitted(organization)
    assessment = Assessment(
        organization=organization,
        questionnaire_version=version,
        modules=list(questionnaire.modules_for(sectors)),
        status=AssessmentStatus.DRAFT,
        created_by_id=user.id,
        previous_assessment_id=previous.id if previous else None,
    )
    db.session.add(assessment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Two colleagues pressed "start" at once: the unique index lets one through.
        raise AssessmentError(
            _("A colleague has just started an assessment; continue that one.")
        ) from None
    record_status(assessment, None, AssessmentStatus.DRAFT, user)
    if prefill and previous is not None:
        copy_answers(previous, assessment, user)
    return assessment


def copy_answers(source: Assessment, target: Assessment, user: User) -> int:
    """Copy answers that still fit the target's questionnaire (not those of questions that say
    ``prefill: false``: "in the last 12 months" is not true again a year later); returns how many
    were copied."""
    questionnaire = questionnaire_versions.for_version(target.questionnaire_version)
    in_scope = {q.id: q for q in questionnaire.questions_in(target.modules)}
    copied = 0
    for row in answer_rows(source).values():
        question = in_scope.get(row.question_id)
        if question is None or (row.value is not None and not question.accepts(row.value)):
            continue
        if not question.prefill:
            continue
        db.session.add(
            Answer(
                assessment_id=target.id,
                question_id=row.question_id,
                value=row.value,
                note=row.note,
                updated_by_id=user.id,
            )
        )
        copied += 1
    db.session.flush()
    return copied


@dataclass(frozen=True)
class StoredScore:
    """What a submission stores of its score: the assessment's own columns, and the rows the
    dashboards aggregate in SQL. The national dataset generator stores exactly the same."""

    columns: dict[str, Any]
    priority_scores: list[tuple[str, int]]  # (priority id, score)
    critical_gaps: list[str]  # question ids, each once

    @classmethod
    def of(cls, result: ScoreResult) -> StoredScore:
        return cls(
            columns={
                "overall_score": result.overall_score,
                "overall_tier": result.overall_tier_id,
                # The one count every page shows (critical questions, products).
                "critical_gap_count": len(result.critical_items),
                "score_detail": result.as_dict(),
            },
            priority_scores=[
                (p.priority_id, p.score) for p in result.priorities if p.score is not None
            ],
            # The known critical gaps the dashboards count (unknowns are not gaps yet).
            critical_gaps=list(dict.fromkeys(g.question_id for g in result.critical_questions)),
        )


def submit(
    assessment: Assessment, user: User, *, confirmed_clashes: Collection[str] = ()
) -> ScoreResult:
    """Submit: every shown question answered, and answers that disagree (a fact asked twice)
    changed, or each pair confirmed by the person as they saw it (``confirmed_clashes``: the
    pairs' keys; a pair that arose after they looked is not confirmed). Audited with the pairs."""
    # Lock the row first (PostgreSQL): saves in flight finish before we read the answers, and
    # saves after us find it submitted. SQLite serialises writers anyway.
    # OF assessments: the organization and questionnaire version may be joined into this read,
    # and must not be locked (every submission would queue on the shared version row).
    db.session.refresh(assessment, with_for_update={"of": Assessment})
    new_status = AssessmentStatus(assessment_transition(assessment.status.value, "submit"))
    state = load(assessment)
    result = state.result
    if result.unanswered:
        raise AssessmentError(
            ngettext(
                "%(num)s question still needs an answer before you can submit.",
                "%(num)s questions still need an answer before you can submit.",
                len(result.unanswered),
            )
        )
    if any(c.key not in confirmed_clashes for c in state.clashes):
        if len(state.clashes) == 1:
            message = _(
                "Two of your answers disagree (listed under “Answers that disagree”). Change one "
                "of them, or tick “Both answers are right as they are” and submit again."
            )
        else:
            message = _(
                "Some of your answers disagree (listed under “Answers that disagree”). Change "
                "one of them, or tick “Both answers are right as they are” and submit again."
            )
        raise AnswersDisagree(message)
    previous = assessment.status
    assessment.status = new_status
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = user.id
    stored = StoredScore.of(result)
    for column, value in stored.columns.items():
        setattr(assessment, column, value)
    # A returned assessment submitted again replaces the score rows of its last submission.
    for table in (AssessmentPriorityScore, AssessmentCriticalGap):
        db.session.execute(sa.delete(table).where(table.assessment_id == assessment.id))
    db.session.add_all(
        [
            AssessmentPriorityScore(assessment_id=assessment.id, priority_id=pid, score=score)
            for pid, score in stored.priority_scores
        ]
        + [
            AssessmentCriticalGap(assessment_id=assessment.id, question_id=qid)
            for qid in stored.critical_gaps
        ]
    )
    record_status(assessment, previous, new_status, user)
    if state.clashes:
        audit.record_for(
            assessment,
            "assessment.clashes_confirmed",
            actor=user,
            questions=[c.key for c in state.clashes],
        )
    audit.record_for(
        assessment,
        "assessment.submitted",
        actor=user,
        score=result.overall_score,
        tier=result.overall_tier_id,
    )
    db.session.flush()
    notices.assessment_submitted(assessment, resubmitted=previous is AssessmentStatus.RETURNED)
    return result


def clashes_of(assessment: Assessment) -> frozenset[str]:
    """The keys of its answers that disagree, as they stand (to confirm them all: the demo's
    and tests' random answers)."""
    return frozenset(c.key for c in load(assessment).clashes)


def record_status(
    assessment: Assessment,
    before: AssessmentStatus | None,
    after: AssessmentStatus,
    user: User,
    *,
    answers: dict[str, list[str | None]] | None = None,
) -> None:
    db.session.add(
        StatusChange(
            assessment_id=assessment.id,
            from_status=before,
            to_status=after,
            actor_id=user.id,
            answers=answers,
        )
    )
    db.session.flush()
    refresh_latest_submission(assessment.organization_id)


def latest_submission_id(organization_id: Any) -> sa.ScalarSelect[Any]:
    """SQL: the id of the organization's most recent submitted or accepted assessment (a
    scalar subquery; NULL when there is none)."""
    return (
        sa.select(Assessment.id)
        .where(
            Assessment.organization_id == organization_id,
            Assessment.status.in_((AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED)),
        )
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def refresh_latest_submission(organization_id: int) -> None:
    """Move the organization's ``is_latest_submission`` flag after a status change.

    Called inside the transaction that changes the status, so readers never see two flags
    or a stale one. A plain UPDATE: the flag is not part of the optimistic lock.
    """
    latest = latest_submission_id(organization_id)
    # Two statements, old flag off first: a unique index allows one flag per organization and
    # PostgreSQL checks it row by row. Only the (at most two) rows whose flag changes are
    # touched: drafts being autosaved are not, so this never waits on an operator's save.
    db.session.execute(
        sa.update(Assessment)
        .where(
            Assessment.organization_id == organization_id,
            Assessment.is_latest_submission,
            # (no submission left at all: the subquery is NULL and every flag goes)
            sa.func.coalesce(Assessment.id != latest, True),
        )
        .values(is_latest_submission=False)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Assessment)
        .where(
            Assessment.organization_id == organization_id,
            Assessment.id == latest,
            ~Assessment.is_latest_submission,
        )
        .values(is_latest_submission=True)
        .execution_options(synchronize_session=False)
    )
    for obj in db.session.identity_map.values():
        if isinstance(obj, Assessment) and obj.organization_id == organization_id:
            db.session.expire(obj, ["is_latest_submission"])
    sectors = db.session.scalars(
        sa.select(OrganizationSector.sector).where(
            OrganizationSector.organization_id == organization_id
        )
    )
    figures_changed_on_commit(db.session(), list(sectors))


def decide(assessment: Assessment, action: str, user: User) -> AssessmentStatus:
    """A coordinator's "accept" or "return". Raises :class:`TransitionRefused` (with the
    reason) when the move does not fit the assessment's status."""
    new_status = AssessmentStatus(assessment_transition(assessment.status.value, action))
    if action == "return" and (refusal := _other_draft(assessment)) is not None:
        raise TransitionRefused(refusal)
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
        assessment_transition(assessment.status.value, "return")
    except TransitionRefused as refusal:
        return str(refusal)
    return _other_draft(assessment)


def _other_draft(assessment: Assessment) -> str | None:
    other = open_assessment(assessment.organization)
    if other is not None and other.id != assessment.id:
        return _(
            "This organization already has a draft in progress, so this assessment cannot "
            "be returned to them as a draft. Comment instead, or accept it."
        )
    return None


def _comments_of_this_round(assessment: Assessment) -> list[notices.CommentedQuestion]:
    """The comments made on this submission, each with a link to its question's step."""
    questionnaire = reading.questionnaire_of(assessment)
    step_of = reading.step_numbers(reading.steps_of(assessment))
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
                    questionnaire.question(qid).text, comment.body, f"{url}#q-{qid}", qid
                )
            )
        else:
            commented.append(notices.CommentedQuestion("", comment.body, whole))
    return commented
