"""Reading an assessment: its questionnaire, its steps, its stored answers and its progress."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from portal import questionnaire_versions
from portal.extensions import db
from portal.models import (
    EDITABLE_STATUSES,
    Answer,
    Assessment,
    AssessmentStatus,
    Organization,
)
from portal.questionnaire.model import Questionnaire, Section

NOTE_MAX_LENGTH = 2000
# Control characters (but tab and newlines) and lone surrogates cannot be stored (PostgreSQL
# refuses NUL; UTF-8 cannot encode a surrogate) and no person types them.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def small_int(text: str) -> int | None:
    """A non-negative number of at most 9 ASCII digits, else None ('²'.isdigit() is True!)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


@dataclass(frozen=True)
class Step:
    """One wizard page: a section of a module."""

    number: int
    module_id: str
    module_title: str
    section: Section


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


def questionnaire_of(assessment: Assessment) -> Questionnaire:
    return questionnaire_versions.for_version(assessment.questionnaire_version)


def steps_of(assessment: Assessment) -> list[Step]:
    questionnaire = questionnaire_of(assessment)
    steps: list[Step] = []
    for module in questionnaire.modules:
        if module.id in assessment.modules:
            for section in module.sections:
                steps.append(Step(len(steps), module.id, module.title, section))
    return steps


def step_numbers(steps: list[Step]) -> dict[str, int]:
    """Each question's step: where a link to it goes."""
    return {q.id: s.number for s in steps for q in s.section.questions}


def answer_rows(assessment: Assessment) -> dict[str, Answer]:
    rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment.id))
    return {row.question_id: row for row in rows}


def answer_values(rows: dict[str, Answer]) -> dict[str, str | None]:
    return {qid: row.value for qid, row in rows.items()}


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
