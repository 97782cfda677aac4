"""Four typical small operators, answered the way a first self-assessment usually goes.

They are the yardstick of the plan's length (``bench/plan_pages.py``, the page-count test): the
expert who found the 31-page plan answered a hospital "realistically", which here means the
dataset generator's answer model (:class:`~portal.devdata.dataset.Answerer`) at maturity 0.35 —
below the national median of about 0.43, as a first assessment is — with a fixed seed, every
profile question answered "yes" so that every sector question is shown (the longest plan an
organization of the sector can get), and no question skipped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from portal.devdata.dataset import Answerer
from portal.questionnaire.model import Questionnaire

TYPICAL_MATURITY = 0.35


@dataclass(frozen=True)
class TypicalOrganization:
    name: str
    sector: str
    ownership: str
    size_band: str
    seed: int


TYPICAL = (
    TypicalOrganization("Pine County Memorial Hospital", "hospital", "public", "small", 1),
    TypicalOrganization("First Farmers Community Bank", "bank", "private", "small", 2),
    TypicalOrganization("Town of Cedar Falls Water and Sewer", "water", "public", "micro", 3),
    TypicalOrganization("Lakeland Electric Cooperative", "electric", "cooperative", "small", 4),
)


def typical(sector: str) -> TypicalOrganization:
    return next(org for org in TYPICAL if org.sector == sector)


def typical_answers(questionnaire: Questionnaire, org: TypicalOrganization) -> dict[str, str]:
    modules = tuple(questionnaire.modules_for([org.sector]))
    answers = Answerer(questionnaire, random.Random(org.seed)).answers(  # noqa: S311 - not secret
        modules, TYPICAL_MATURITY, 1.0
    )
    for question in questionnaire.questions_in(modules):
        if question.profile and question.option("yes") is not None:
            answers[question.id] = "yes"
    return answers
