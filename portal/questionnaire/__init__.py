"""Questionnaire domain model and loader (plain Python: no Flask, no SQLAlchemy)."""

from portal.questionnaire.loader import QuestionnaireInvalid, load_directory, load_documents
from portal.questionnaire.model import (
    DONT_KNOW,
    NOT_APPLICABLE,
    Condition,
    Module,
    Question,
    Questionnaire,
    Tool,
)

__all__ = [
    "DONT_KNOW",
    "NOT_APPLICABLE",
    "Condition",
    "Module",
    "Question",
    "Questionnaire",
    "QuestionnaireInvalid",
    "Tool",
    "load_directory",
    "load_documents",
]
