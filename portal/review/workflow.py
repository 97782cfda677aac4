"""Who may move an assessment or a tool request from which status to which (plain Python).

The views ask :func:`assessment_transition` / :func:`tool_request_transition` before changing
anything; a refused move carries a message for the person.
"""

from __future__ import annotations

# (current status, action) -> new status
ASSESSMENT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "return"): "returned",
    ("submitted", "accept"): "accepted",
}

TOOL_REQUEST_TRANSITIONS: dict[tuple[str, str], str] = {
    ("submitted", "approve"): "approved",
    ("submitted", "deny"): "denied",
    ("approved", "fulfil"): "fulfilled",
}

_ASSESSMENT_REFUSALS = {
    "accept": "Only a submitted assessment can be accepted; this one is {status}.",
    "return": "Only a submitted assessment can be returned for revision; this one is {status}.",
    "submit": "This assessment is {status} and cannot be submitted again.",
}
_TOOL_REFUSALS = {
    "approve": "Only a submitted request can be approved; this one is {status}.",
    "deny": "Only a submitted request can be denied; this one is {status}.",
    "fulfil": "Only an approved request can be marked fulfilled; this one is {status}.",
}


class TransitionRefused(ValueError):
    """The move is not allowed from the current status; the message says why."""


def assessment_transition(status: str, action: str) -> str:
    new = ASSESSMENT_TRANSITIONS.get((status, action))
    if new is None:
        template = _ASSESSMENT_REFUSALS.get(action, "Unknown action {action!r}.")
        raise TransitionRefused(template.format(status=status, action=action))
    return new


def tool_request_transition(status: str, action: str, reason: str = "") -> str:
    new = TOOL_REQUEST_TRANSITIONS.get((status, action))
    if new is None:
        template = _TOOL_REFUSALS.get(action, "Unknown action {action!r}.")
        raise TransitionRefused(template.format(status=status, action=action))
    if action == "deny" and not reason.strip():
        raise TransitionRefused("Give a reason when you deny a request; the operator sees it.")
    return new
