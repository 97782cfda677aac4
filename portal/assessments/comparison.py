"""What changed since the organization's previous submission: per priority and per answer."""

from __future__ import annotations

from dataclasses import dataclass

from portal.assessments.reading import answer_rows, answer_values, latest_submitted
from portal.assessments.state import AssessmentState
from portal.models import Assessment
from portal.scoring.comparison import Change, answer_changes


@dataclass(frozen=True)
class Comparison:
    previous: Assessment
    priority_deltas: dict[str, tuple[int | None, int | None]]
    overall: tuple[int, int]
    improved: list[Change]
    worsened: list[Change]

    @property
    def previous_scores(self) -> dict[str, int | None]:
        return {pid: before for pid, (before, _) in self.priority_deltas.items()}


def compare_with_previous(state: AssessmentState) -> Comparison | None:
    assessment, result = state.assessment, state.result
    previous = latest_submitted(assessment.organization, before=assessment)
    if previous is None or previous.score_detail is None:
        return None
    before_scores = previous.score_detail.get("priorities", {})
    deltas = {
        p.priority_id: (before_scores.get(p.priority_id, {}).get("score"), p.score)
        for p in result.priorities
    }
    improved, worsened = answer_changes(
        state.questionnaire.questions_in(assessment.modules),
        state.shown,
        answer_values(answer_rows(previous)),
        state.values,
    )
    return Comparison(
        previous, deltas, (previous.overall_score or 0, result.overall_score), improved, worsened
    )
