"""Scoring: answers + questionnaire → scores, tiers, gaps and explanations (plain Python)."""

from portal.scoring.engine import (
    Gap,
    InvalidAnswer,
    PriorityScore,
    QuestionResult,
    ScoreResult,
    score_assessment,
    with_product_gaps,
)

__all__ = [
    "Gap",
    "InvalidAnswer",
    "PriorityScore",
    "QuestionResult",
    "ScoreResult",
    "score_assessment",
    "with_product_gaps",
]
