"""Plain language, measured: every question, hint (why it matters, how to check) and action of
every module reads at US grade 9 or below (Flesch-Kincaid grade, textstat).

Answer-option labels are not graded: they are fragments of two to six words ("Occasionally, or
not everyone"), where a grade formula built on words per sentence and syllables per word measures
nothing (that label "scores" 15.5). They are kept short by review instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import textstat

from portal.questionnaire import Questionnaire, load_directory
from tests.factories import QUESTIONNAIRE_DIR

MAX_GRADE = 9.0
MODULES = ("core", "hospital", "bank", "water", "electric")


def texts_of(questionnaire: Questionnaire, module_id: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every graded text of the module."""
    module = next(m for m in questionnaire.modules if m.id == module_id)
    for question in module.questions():
        yield f"{question.id} text", question.text
        yield f"{question.id} why", question.why
        yield f"{question.id} how_to_check", question.how_to_check
        if question.action is not None:
            yield f"{question.id} action.title", question.action.title
            yield f"{question.id} action.detail", question.action.detail


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


@pytest.mark.parametrize("module_id", MODULES)
def test_every_text_reads_at_grade_9_or_below(module_id: str) -> None:
    questionnaire = load_directory(QUESTIONNAIRE_DIR)
    too_hard = [
        f"{grade(text):5.1f}  {where}: {text}"
        for where, text in texts_of(questionnaire, module_id)
        if text.strip() and grade(text) > MAX_GRADE
    ]
    assert not too_hard, f"{len(too_hard)} texts above grade {MAX_GRADE}:\n" + "\n".join(too_hard)


def test_the_measure_tells_plain_from_dense() -> None:
    """The yardstick itself: a plain sentence passes, a dense one does not."""
    assert grade("Turn on MFA for email. Use an app, not text messages.") <= MAX_GRADE
    assert (
        grade(
            "Implementation of comprehensive multifactor authentication mechanisms across "
            "organizational remote-access infrastructure necessitates considerable coordination."
        )
        > MAX_GRADE
    )
