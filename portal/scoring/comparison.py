"""Which answers got better or worse between two submissions (plain Python)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from portal.questionnaire.model import Question


@dataclass(frozen=True)
class Change:
    question: Question
    before: str | None
    after: str | None
    before_points: int
    after_points: int


def points(question: Question, value: str | None) -> int | None:
    """What ``value`` earns on ``question``; None where it does not count (unanswered, N/A)."""
    if value is None or value == "na":
        return None
    option = question.option(value)
    return option.points if option and option.points is not None else 0


def answer_changes(
    questions: Iterable[Question],
    shown: set[str],
    before: Mapping[str, str | None],
    after: Mapping[str, str | None],
) -> tuple[list[Change], list[Change]]:
    """(improved, worsened): scored questions shown now and answered before whose points moved."""
    improved: list[Change] = []
    worsened: list[Change] = []
    for question in questions:
        if question.profile or question.id not in shown or question.id not in before:
            continue
        before_points = points(question, before.get(question.id))
        after_points = points(question, after.get(question.id))
        if before_points is None or after_points is None or before_points == after_points:
            continue
        change = Change(
            question, before.get(question.id), after.get(question.id), before_points, after_points
        )
        (improved if after_points > before_points else worsened).append(change)
    return improved, worsened
