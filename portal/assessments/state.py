"""An assessment's state — its questionnaire, stored answers, score and plan — read once.

The results page, the coordinator's review page, the plan PDF and the JSON export all start
from :func:`load`: the answers are read in one query and the score and plan computed at most
once, whichever of them a page uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from portal.assessments.reading import answer_rows, answer_values, questionnaire_of
from portal.exposure import inventory
from portal.kev.matching import ProductMatch, critical_products, unsupported_products
from portal.models import Answer, Assessment, utcnow
from portal.questionnaire.model import Clash, Questionnaire
from portal.remediation import Plan, build_plan
from portal.scoring import ScoreResult, score_assessment, with_product_gaps


@dataclass
class AssessmentState:
    assessment: Assessment
    questionnaire: Questionnaire
    rows: dict[str, Answer]

    @cached_property
    def values(self) -> dict[str, str | None]:
        return answer_values(self.rows)

    @cached_property
    def notes(self) -> dict[str, str]:
        return {qid: row.note for qid, row in self.rows.items()}

    @cached_property
    def answers_result(self) -> ScoreResult:
        """The score of the answers alone (what the wizard needs: shown and unanswered)."""
        return score_assessment(self.questionnaire, self.assessment.modules, self.values)

    @cached_property
    def result(self) -> ScoreResult:
        """The score with the organization's critical product gaps (what every result shows)."""
        return with_product_gaps(
            self.questionnaire,
            self.answers_result,
            critical_products(self.exposure),
            unsupported_products(self.exposure),
        )

    @cached_property
    def shown(self) -> set[str]:
        return set(self.answers_result.shown_question_ids)

    @cached_property
    def clashes(self) -> list[Clash]:
        """Answers to one fact asked twice that contradict each other (questions shown only)."""
        shown = self.shown
        values = {qid: v for qid, v in self.values.items() if qid in shown}
        return self.questionnaire.clashes(self.assessment.modules, values)

    @cached_property
    def plan(self) -> Plan:
        """The remediation plan, for the assessment's organization as it is now."""
        organization = self.assessment.organization
        return build_plan(
            self.questionnaire,
            self.result,
            sectors=organization.sectors,
            ownership=organization.ownership.value,
            today=utcnow().date(),
            answers=self.values,
            exploited=self.exposure,
        )

    @cached_property
    def exposure(self) -> tuple[ProductMatch, ...]:
        """The organization's products in CISA's KEV catalog or past their end of support, as
        its list and its settled matches are now."""
        return inventory.exposure_of(self.assessment.organization_id, utcnow().date())

    @cached_property
    def exploited(self) -> tuple[ProductMatch, ...]:
        """Those of :attr:`exposure` with catalog entries."""
        return tuple(m for m in self.exposure if m.entries)


def load(assessment: Assessment, rows: dict[str, Answer] | None = None) -> AssessmentState:
    """The state of ``assessment``; ``rows``: its answers if the caller has just read them."""
    return AssessmentState(
        assessment,
        questionnaire_of(assessment),
        rows if rows is not None else answer_rows(assessment),
    )
