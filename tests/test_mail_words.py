"""Every message's words are a template (templates/mail/words/<kind>.txt), out of the Python
that sends it: a translation reaches them, and text and HTML say the same thing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import nodes

from portal.mail.compose import worded

ROOT = Path(__file__).parents[1]
SENDERS = [
    "portal/mail/notices.py",
    "portal/mail/digest.py",
    "portal/mail/undeliverable.py",
    "portal/assessments/reminders.py",
]


def sentences_in(source: str) -> list[str]:
    """String literals of three words or more that are not docstrings: words a person reads."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and len([w for w in node.value.split() if w.isalpha()]) >= 3
        ):
            found.append(node.value)
    return found


@pytest.mark.parametrize("path", SENDERS)
def test_the_code_that_sends_mail_writes_no_sentence(path: str) -> None:
    assert sentences_in((ROOT / path).read_text(encoding="utf-8")) == []


def test_the_check_sees_a_sentence_in_code() -> None:
    planted = 'def f():\n    """Docs are fine here."""\n    return f"Your request was {s} today"\n'
    assert sentences_in(planted) == ["Your request was "]


def test_every_words_template_has_a_subject_a_body_and_a_reason(app: Flask) -> None:
    kinds = sorted(
        p.stem for p in (ROOT / "templates/mail/words").glob("*.txt") if not p.stem.startswith("_")
    )
    assert len(kinds) >= 20
    for kind in kinds:
        source = (ROOT / f"templates/mail/words/{kind}.txt").read_text(encoding="utf-8")
        parts = {
            node.target.name
            for node in app.jinja_env.parse(source).find_all(nodes.AssignBlock)
            if isinstance(node.target, nodes.Name)
        }
        assert {"subject", "body", "reason"} <= parts, kind


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("approved", "Your coordinator approved your request for Cyber Hygiene. They will put"),
        ("denied", "Your coordinator could not approve your request for Cyber Hygiene."),
        ("fulfilled", "Your request for Cyber Hygiene is marked fulfilled: the service should"),
    ],
)
def test_a_decided_request_reads_as_one_paragraph_per_decision(
    app: Flask, status: str, expected: str
) -> None:
    with app.app_context():
        words = worded(
            "tool_request_decided",
            name="Pat",
            coordinator="Casey Coordinator",
            status=status,
            tools="Cyber Hygiene",
            decision_reason="Budget" if status == "denied" else None,
        )
    assert words.subject == f"Your request for free services was {status}"
    assert words.greeting == "Hello Pat,"
    assert len(words.paragraphs) == 1 and words.paragraphs[0].startswith(expected)
    assert words.closing == (["Their reason: Budget"] if status == "denied" else [])
    assert words.reason.endswith("A reply reaches Casey Coordinator, who decided.")
    assert "\n" not in words.paragraphs[0] and "  " not in words.paragraphs[0]
