"""What the assessment layer refuses, with a message for the person."""

from __future__ import annotations


class AssessmentError(ValueError):
    """A request that cannot be done, with a message for the person."""


class InvalidSubmission(AssessmentError):
    """A value, a question id or a hidden question that no honest page would post (400)."""


class AnswersDisagree(AssessmentError):
    """Answers to one fact asked twice contradict each other, and the person has not confirmed
    both (questionnaires/README.md, ``agrees_with``)."""
