"""Answer sets for the domain tests (no app, no database): import from here, never from a test
module."""

from __future__ import annotations

from portal.questionnaire import Questionnaire


def answers_for(q: Questionnaire, sector: str, profile: str) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for question in q.questions_in(q.modules_for([sector])):
        if question.profile:
            values = [o.value for o in question.options]
            answers[question.id] = profile if profile in values else values[0]
        else:
            answers[question.id] = max(question.options, key=lambda o: o.points or 0).value
    return answers


def worst_everything(q: Questionnaire, sector: str) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for question in q.questions_in(q.modules_for([sector])):
        if question.profile:
            answers[question.id] = "yes" if question.option("yes") else question.options[0].value
        else:
            answers[question.id] = min(question.options, key=lambda o: o.points or 0).value
    return answers
