"""Assessment operations: start, save answers without losing any, submit, re-assess, export.

Views call these; they flush but never commit (the view commits once per request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import questionnaires
from portal.extensions import db
from portal.models import (
    EDITABLE_STATUSES,
    Answer,
    Assessment,
    AssessmentCriticalGap,
    AssessmentPriorityScore,
    AssessmentStatus,
    Organization,
    OrganizationSector,
    StatusChange,
    User,
    utcnow,
)
from portal.questionnaire.model import Question, Questionnaire, Section
from portal.remediation import Plan, build_plan
from portal.review import workflow
from portal.scoring import ScoreResult, score_assessment

NOTE_MAX_LENGTH = 2000
EXPORT_FORMAT = "readiness-portal.assessment/1"
# Control characters (but tab and newlines) and lone surrogates cannot be stored (PostgreSQL
# refuses NUL; UTF-8 cannot encode a surrogate) and no person types them.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def small_int(text: str) -> int | None:
    """A non-negative number of at most 9 ASCII digits, else None ('²'.isdigit() is True!)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


class AssessmentError(ValueError):
    """A request that cannot be done, with a message for the person."""


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One wizard page: a section of a module."""

    number: int
    module_id: str
    module_title: str
    section: Section


def questionnaire_of(assessment: Assessment) -> Questionnaire:
    return questionnaires.for_version(assessment.questionnaire_version)


def steps_of(assessment: Assessment) -> list[Step]:
    questionnaire = questionnaire_of(assessment)
    steps: list[Step] = []
    for module in questionnaire.modules:
        if module.id in assessment.modules:
            for section in module.sections:
                steps.append(Step(len(steps), module.id, module.title, section))
    return steps


def answer_rows(assessment: Assessment) -> dict[str, Answer]:
    rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment.id))
    return {row.question_id: row for row in rows}


def answer_values(rows: dict[str, Answer]) -> dict[str, str | None]:
    return {qid: row.value for qid, row in rows.items()}


def score_of(assessment: Assessment, rows: dict[str, Answer] | None = None) -> ScoreResult:
    values = answer_values(rows if rows is not None else answer_rows(assessment))
    return score_assessment(questionnaire_of(assessment), assessment.modules, values)


def plan_of(assessment: Assessment, result: ScoreResult) -> Plan:
    """The remediation plan for ``result``, for the assessment's organization as it is now."""
    organization = assessment.organization
    return build_plan(
        questionnaire_of(assessment),
        result,
        sectors=[s.value for s in organization.sectors],
        ownership=organization.ownership.value,
    )


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.answered / self.total)

    @property
    def complete(self) -> bool:
        return self.answered >= self.total


def progress(steps: list[Step], values: dict[str, str | None]) -> tuple[list[Progress], Progress]:
    per_step = []
    for step in steps:
        shown = [q for q in step.section.questions if q.is_shown(values)]
        per_step.append(Progress(sum(1 for q in shown if values.get(q.id)), len(shown)))
    overall = Progress(sum(p.answered for p in per_step), sum(p.total for p in per_step))
    return per_step, overall


def open_assessment(organization: Organization) -> Assessment | None:
    return db.session.scalar(
        sa.select(Assessment).where(
            Assessment.organization_id == organization.id,
            Assessment.status.in_(EDITABLE_STATUSES),
        )
    )


def latest_submitted(
    organization: Organization, before: Assessment | None = None
) -> Assessment | None:
    query = sa.select(Assessment).where(
        Assessment.organization_id == organization.id,
        Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED]),
    )
    if before is not None:
        query = query.where(Assessment.id != before.id)
        if before.submitted_at is not None:
            query = query.where(Assessment.submitted_at < before.submitted_at)
    return db.session.scalar(query.order_by(Assessment.submitted_at.desc()).limit(1))


# --- starting --------------------------------------------------------------------------------


def start(organization: Organization, user: User, *, prefill: bool = True) -> Assessment:
    """Start a draft for ``organization``, pre-filled from its last submission if any."""
    if open_assessment(organization) is not None:
        raise AssessmentError("You already have an assessment in progress; continue that one.")
    version = questionnaires.publish_current()
    questionnaire = questionnaires.current()
    sectors = [s.value for s in organization.sectors]
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
            "A colleague has just started an assessment; continue that one."
        ) from None
    _record_status(assessment, None, AssessmentStatus.DRAFT, user)
    if prefill and previous is not None:
        copy_answers(previous, assessment, user)
    return assessment


def copy_answers(source: Assessment, target: Assessment, user: User) -> int:
    """Copy answers that still fit the target's questionnaire; returns how many were copied."""
    questionnaire = questionnaire_of(target)
    in_scope = {q.id: q for q in questionnaire.questions_in(target.modules)}
    copied = 0
    for row in answer_rows(source).values():
        question = in_scope.get(row.question_id)
        if question is None or (row.value is not None and not question.accepts(row.value)):
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


# --- saving ----------------------------------------------------------------------------------


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


class InvalidSubmission(AssessmentError):
    """A value, a question id or a hidden question that no honest page would post (400)."""


def check_submission(assessment: Assessment, submissions: list[Submitted]) -> None:
    """Reject what the wizard never offers: unknown questions or values, overlong notes.

    Needs no stored answers, so it runs before the assessment is claimed: a malformed post never
    takes the row lock. Whether each question is shown is checked after (:func:`_check_shown`).
    """
    if not assessment.is_editable:
        raise AssessmentError("This assessment has been submitted and can no longer be changed.")
    questionnaire = questionnaire_of(assessment)
    in_scope = {q.id for q in questionnaire.questions_in(assessment.modules)}
    for item in submissions:
        if item.question_id not in in_scope:
            raise InvalidSubmission(f"{item.question_id!r} is not a question of this assessment.")
        question = questionnaire.question(item.question_id)
        if item.value is not None and not question.accepts(item.value):
            raise InvalidSubmission(f"{item.value!r} is not an answer to {item.question_id}.")
        if len(item.note) > NOTE_MAX_LENGTH:
            raise InvalidSubmission(f"A note can be at most {NOTE_MAX_LENGTH} characters.")
        if not storable(item.note):
            raise InvalidSubmission("A note contains invisible control characters; remove them.")


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
            raise InvalidSubmission(f"{item.question_id} is not asked, given your answers.")


def save_answers(assessment: Assessment, submissions: list[Submitted], user: User) -> SaveOutcome:
    """Save each posted answer unless someone else changed it since the page was shown.

    The revision counter decides: an answer whose stored revision moved on since the page was
    rendered, and whose stored content differs from what was posted, is a conflict — returned
    with both versions, not written. Everything else is saved.
    """
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
        raise AssessmentError("This assessment has been submitted and can no longer be changed.")
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
            theirs_by=author.full_name if author else "someone",
            theirs_at=row.updated_at,
        )
    )


# --- submitting ------------------------------------------------------------------------------


def submit(assessment: Assessment, user: User) -> ScoreResult:
    # Lock the row first (PostgreSQL): saves in flight finish before we read the answers, and
    # saves after us find it submitted. SQLite serialises writers anyway.
    # OF assessments: the organization and questionnaire version may be joined into this read,
    # and must not be locked (every submission would queue on the shared version row).
    db.session.refresh(assessment, with_for_update={"of": Assessment})
    if not assessment.is_editable:
        raise AssessmentError("This assessment has already been submitted.")
    result = score_of(assessment)
    if result.unanswered:
        raise AssessmentError(
            f"{len(result.unanswered)} question(s) still need an answer before you can submit."
        )
    previous = assessment.status
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = user.id
    assessment.overall_score = result.overall_score
    assessment.overall_tier = result.overall_tier_id
    assessment.critical_gap_count = len(result.critical_gaps)
    assessment.score_detail = result.as_dict()
    # A returned assessment submitted again replaces the score rows of its last submission.
    for table in (AssessmentPriorityScore, AssessmentCriticalGap):
        db.session.execute(sa.delete(table).where(table.assessment_id == assessment.id))
    db.session.add_all(score_rows(assessment.id, result))
    _record_status(assessment, previous, AssessmentStatus.SUBMITTED, user)
    db.session.flush()
    return result


def score_rows(
    assessment_id: int, result: ScoreResult
) -> list[AssessmentPriorityScore | AssessmentCriticalGap]:
    """The stored form of a score that SQL aggregates read (dashboards, peer figures)."""
    rows: list[AssessmentPriorityScore | AssessmentCriticalGap] = [
        AssessmentPriorityScore(
            assessment_id=assessment_id, priority_id=p.priority_id, score=p.score
        )
        for p in result.priorities
        if p.score is not None
    ]
    gaps = dict.fromkeys(g.question_id for g in result.critical_gaps)
    rows += [AssessmentCriticalGap(assessment_id=assessment_id, question_id=q) for q in gaps]
    return rows


def decide(assessment: Assessment, action: str, user: User) -> AssessmentStatus:
    """A coordinator's "accept" or "return": checked by the review state machine, recorded.

    Raises ``workflow.TransitionRefused`` (with the reason) when the move does not fit.
    """
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
    _record_status(assessment, before, new_status, user)
    return new_status


def _record_status(
    assessment: Assessment, before: AssessmentStatus | None, after: AssessmentStatus, user: User
) -> None:
    db.session.add(
        StatusChange(
            assessment_id=assessment.id, from_status=before, to_status=after, actor_id=user.id
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
    from portal.review import stats

    sectors = db.session.scalars(
        sa.select(OrganizationSector.sector).where(
            OrganizationSector.organization_id == organization_id
        )
    )
    stats.figures_changed_on_commit(db.session(), [s.value for s in sectors])


# --- comparing with the last submission --------------------------------------------------------


@dataclass(frozen=True)
class Change:
    question: Question
    before: str | None
    after: str | None
    before_points: int
    after_points: int


@dataclass(frozen=True)
class Comparison:
    previous: Assessment
    priority_deltas: dict[str, tuple[int | None, int | None]]
    overall: tuple[int, int]
    improved: list[Change]
    worsened: list[Change]


def compare_with_previous(assessment: Assessment, result: ScoreResult) -> Comparison | None:
    previous = latest_submitted(assessment.organization, before=assessment)
    if previous is None or previous.score_detail is None:
        return None
    before_scores = previous.score_detail.get("priorities", {})
    deltas = {
        p.priority_id: (before_scores.get(p.priority_id, {}).get("score"), p.score)
        for p in result.priorities
    }
    questionnaire = questionnaire_of(assessment)
    old = answer_values(answer_rows(previous))
    new = answer_values(answer_rows(assessment))
    shown = set(result.shown_question_ids)
    improved: list[Change] = []
    worsened: list[Change] = []
    for question in questionnaire.questions_in(assessment.modules):
        if question.profile or question.id not in shown or question.id not in old:
            continue
        before_points = _points(question, old.get(question.id))
        after_points = _points(question, new.get(question.id))
        if before_points is None or after_points is None or before_points == after_points:
            continue
        change = Change(
            question, old.get(question.id), new.get(question.id), before_points, after_points
        )
        (improved if after_points > before_points else worsened).append(change)
    return Comparison(
        previous, deltas, (previous.overall_score or 0, result.overall_score), improved, worsened
    )


def _points(question: Question, value: str | None) -> int | None:
    if value is None or value == "na":
        return None
    option = question.option(value)
    return option.points if option and option.points is not None else 0


# --- export and import -----------------------------------------------------------------------


def export(assessment: Assessment) -> dict[str, Any]:
    rows = answer_rows(assessment)
    result = score_of(assessment, rows)
    version = assessment.questionnaire_version
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "organization": {"id": assessment.organization_id, "name": assessment.organization.name},
        "assessment": {
            "id": assessment.id,
            "status": assessment.status.value,
            "modules": list(assessment.modules),
            "submitted_at": assessment.submitted_at.isoformat()
            if assessment.submitted_at
            else None,
        },
        "questionnaire": {"version": version.label, "content_hash": version.content_hash},
        "answers": {
            qid: {"value": row.value, "note": row.note} for qid, row in sorted(rows.items())
        },
        "scores": result.as_dict(),
    }


@dataclass
class ImportReport:
    assessment: Assessment
    imported: int
    skipped: list[str]


def import_into_new_draft(organization: Organization, user: User, data: Any) -> ImportReport:
    """Start a draft from an exported JSON document; answers that no longer fit are listed."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise AssessmentError("This file is not an assessment exported from the portal.")
    org = data.get("organization")
    if not isinstance(org, dict) or org.get("id") != organization.id:
        raise AssessmentError("This file belongs to another organization; it cannot be imported.")
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise AssessmentError("The file has no answers section.")
    assessment = start(organization, user, prefill=False)
    questionnaire = questionnaire_of(assessment)
    in_scope = {q.id: q for q in questionnaire.questions_in(assessment.modules)}
    imported, skipped = 0, []
    for qid, entry in answers.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        note = entry.get("note", "") if isinstance(entry, dict) else ""
        question = in_scope.get(str(qid))
        if (
            question is None
            or not isinstance(note, str)
            or len(note) > NOTE_MAX_LENGTH
            or not storable(note)
            or (value is not None and (not isinstance(value, str) or not question.accepts(value)))
        ):
            skipped.append(str(qid)[:120])
            continue
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question.id,
                value=value,
                note=note,
                updated_by_id=user.id,
            )
        )
        imported += 1
    db.session.flush()
    return ImportReport(assessment, imported, skipped)
