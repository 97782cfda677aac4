"""The coordinator's view of the answers: grouped by section, each row flagged when it needs a
look (a gap, "I don't know", a note, a comment), with its comment thread."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from portal.assessments.reading import Step
from portal.assessments.revision import Revision, RevisionPoint
from portal.assessments.state import AssessmentState
from portal.questionnaire.model import DONT_KNOW, Question


@dataclass(frozen=True)
class AnswerRow:
    question: Question
    value: str | None
    note: str
    gap: bool  # scores as not (fully) in place
    critical_gap: bool
    dont_know: bool
    thread: RevisionPoint | None
    clash: bool = False  # contradicts the answer to the same fact asked elsewhere

    @property
    def label(self) -> str:
        return self.question.label_for(self.value) if self.value else _("Not answered")

    @property
    def needs_attention(self) -> bool:
        return (
            self.gap or self.dont_know or self.clash or bool(self.note) or self.thread is not None
        )


@dataclass(frozen=True)
class SectionRows:
    step: Step
    rows: tuple[AnswerRow, ...]

    @property
    def attention_rows(self) -> list[AnswerRow]:
        return [r for r in self.rows if r.needs_attention]

    @property
    def rows_in_place(self) -> list[AnswerRow]:
        """The rest: answered in full, with nothing to look at (folded on the page)."""
        return [r for r in self.rows if not r.needs_attention]


def sections(state: AssessmentState, steps: list[Step], revision: Revision) -> list[SectionRows]:
    gaps = {g.question_id for g in state.result.gaps}
    # Known critical gaps only: an unknown or unchecked critical answer is shown as such.
    critical = {g.question_id for g in state.result.critical_gaps if not g.not_known}
    values, notes, shown = state.values, state.notes, state.shown
    clashing = {q.id for c in state.clashes for q in (c.question, c.earlier)}
    result = []
    for step in steps:
        rows = tuple(
            AnswerRow(
                question=q,
                value=values.get(q.id),
                note=notes.get(q.id) or "",
                gap=q.id in gaps,
                critical_gap=q.id in critical,
                dont_know=values.get(q.id) == DONT_KNOW,
                thread=revision.thread(q.id),
                clash=q.id in clashing,
            )
            for q in step.section.questions
            if q.id in shown
        )
        if rows:
            result.append(SectionRows(step, rows))
    return result
