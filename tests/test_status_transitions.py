"""The two status transition tables on their own: the assessment's (portal.assessments.lifecycle)
and the tool request's (portal.toolrequests.service)."""

from __future__ import annotations

import pytest

from portal.assessments.lifecycle import TransitionRefused, assessment_transition
from portal.toolrequests.service import TransitionRefused as DecisionRefused
from portal.toolrequests.service import tool_request_transition


@pytest.mark.parametrize(
    ("status", "action", "new"),
    [
        ("draft", "submit", "submitted"),
        ("returned", "submit", "submitted"),
        ("submitted", "return", "returned"),
        ("submitted", "accept", "accepted"),
    ],
)
def test_allowed_assessment_moves(status: str, action: str, new: str) -> None:
    assert assessment_transition(status, action) == new


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("draft", "accept", "Only a submitted assessment can be accepted; this one is draft."),
        ("accepted", "return", "Only a submitted assessment can be returned for revision"),
        ("returned", "accept", "this one is returned"),
        ("accepted", "accept", "this one is accepted"),
        ("submitted", "submit", "cannot be submitted again"),
        ("submitted", "delete", "Unknown action"),
    ],
)
def test_refused_assessment_moves_say_why(status: str, action: str, message: str) -> None:
    with pytest.raises(TransitionRefused, match=message):
        assessment_transition(status, action)


def test_tool_request_moves() -> None:
    assert tool_request_transition("submitted", "approve") == "approved"
    assert tool_request_transition("submitted", "deny", "Out of scope") == "denied"
    assert tool_request_transition("approved", "fulfil") == "fulfilled"
    with pytest.raises(DecisionRefused, match="Give a reason"):
        tool_request_transition("submitted", "deny", "   ")
    with pytest.raises(DecisionRefused, match="Only an approved request can be marked"):
        tool_request_transition("submitted", "fulfil")
    with pytest.raises(DecisionRefused, match="this one is denied"):
        tool_request_transition("denied", "approve")
