"""The plan as a document (portal/remediation/document.py): built without Flask from the four
operators the expert drove, it holds every action once, numbered in reading order, the same first
five and critical gaps as the plan and the board summary, and words that agree in number; the
PDF template places its words and has none of its own."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import jinja2
import pytest

from portal.questionnaire import Questionnaire
from portal.remediation.board import board_summary
from portal.remediation.document import (
    CRITICAL,
    AnswersInput,
    PlanDocument,
    Subject,
    plan_document,
    shorten,
)
from portal.scoring.headline import headline
from tests.domain.operators import HOSPITAL, OPERATORS, Operator, answers_of, assess, exposure_of

TEMPLATE = Path(__file__).parents[2] / "templates/reports/plan.html"


def document_of(
    questionnaire: Questionnaire, operator: Operator, *, with_answers: bool = False
) -> PlanDocument:
    result, plan = assess(questionnaire, operator)
    exposure = exposure_of(operator)
    board = board_summary(
        questionnaire, result, plan, exploited=exposure, sectors=[operator.sector]
    )
    answers = answers_of(questionnaire, operator)
    subject = Subject(
        operator.name, operator.sector, "Pine", "OH", 7, "submitted", date(2026, 12, 6), "now"
    )
    return plan_document(
        questionnaire,
        result,
        plan,
        board,
        headline(questionnaire, result),
        subject,
        exploited=exposure,
        answers=AnswersInput(
            modules=tuple(questionnaire.modules_for([operator.sector])),
            shown=frozenset(answers),
            values=answers,
            notes={},
            sector_references=lambda q: (),
        )
        if with_answers
        else None,
    )


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: o.sector)
def test_each_action_is_in_the_document_once_numbered_in_reading_order(
    questionnaire: Questionnaire, operator: Operator
) -> None:
    result, plan = assess(questionnaire, operator)
    doc = document_of(questionnaire, operator)
    assert doc.schedule is not None
    scheduled = [a for w in doc.schedule.windows for a in w.actions]
    backlog = list(doc.backlog.rows) if doc.backlog else []
    numbers = [a.number for a in scheduled] + [r.number for r in backlog]
    assert numbers == list(range(1, len(plan.actions) + 1))
    titles = sorted(re.sub(r"^If the check finds it: ", "", a.title) for a in scheduled)
    titles += [r.action for r in backlog]
    assert sorted(titles) == sorted(a.action.title for a in plan.actions)
    # The windows' headings and the glance table agree on what each window holds.
    glance = {row.window: row.actions for row in doc.board.glance}
    for window in doc.schedule.windows:
        assert glance[window.heading] == len(window.actions)
    # The same first five and critical gaps as the plan and the one count.
    assert [s.title for s in doc.board.first_five] == [s.title for s in plan.first_steps]
    assert len(doc.board.critical) == len(result.critical_items)
    assert doc.board.critical_count.startswith(f"{len(result.critical_items)} critical gap")
    marked = sum(CRITICAL in a.tags for a in scheduled)
    assert marked >= 1 and doc.board.critical_heading.startswith("The ")
    # A "This week" step that is an action points at its number below.
    for step in doc.schedule.this_week:
        if step.see:
            number = int(re.search(r"action (\d+) below", step.see).group(1))  # type: ignore[union-attr]
            (action,) = [a for a in scheduled if a.number == number]
            assert step.title.lower() == action.title.lower()


def test_the_hospitals_exploited_products_and_appendices(questionnaire: Questionnaire) -> None:
    doc = document_of(questionnaire, HOSPITAL, with_answers=True)
    assert doc.exploited is not None and doc.catalog is not None and doc.answers is not None
    names = [p.name for p in doc.exploited.items]
    assert names and len(set(names)) == len(names)
    for product in doc.exploited.items:
        assert product.listed.startswith("On your list as “")
        assert 1 <= len(product.flaws) <= 5
        assert all(re.fullmatch(r"CVE-\d{4}-\d+", f.cve_id) for f in product.flaws)
    # Internet-facing products carry the catalog's own deadline, in the list and in the action.
    assert any(p.due.startswith("Due by ") for p in doc.exploited.items)
    assert doc.schedule is not None
    assert any(a.due for w in doc.schedule.windows for a in w.actions)
    assert "every answer" in doc.cover.contents and doc.cover.contents_note == ""
    assert all(row.answer for row in doc.answers.rows)
    assert "in the appendix" in doc.exploited.intro


def test_words_agree_in_number(questionnaire: Questionnaire) -> None:
    """One critical gap is "the critical gap", one risk "the risk"; more are counted."""
    for operator in OPERATORS:
        doc = document_of(questionnaire, operator)
        count = len(doc.board.critical)
        expected = (
            "The critical gap: close it first"
            if count == 1
            else f"The {count} critical gaps: close these first"
        )
        assert doc.board.critical_heading == expected
        risks = len(doc.board.risks)
        assert doc.board.risks_heading == (
            "The risk to know about" if risks == 1 else f"The {risks} risks to know about"
        )
        for window in doc.schedule.windows if doc.schedule else ():
            assert not re.search(
                r"\b1 working days\b|\b(?:[02-9]|\d\d+) working day\b", window.note
            )


@pytest.mark.parametrize(
    ("text", "length", "end", "whole"),
    [
        ("word " * 40, 160, "...", True),
        ("x" * 163, 160, "...", True),  # within the leeway: kept whole
        ("x" * 170, 160, "...", True),
        ("a b " * 600, 2000, " … (shortened)", False),
        ("short", 2000, " …", False),
    ],
)
def test_shorten_cuts_as_the_template_did(text: str, length: int, end: str, whole: bool) -> None:
    environment = jinja2.Environment(autoescape=True)
    template = environment.from_string(
        "{{ t|truncate(n, killwords=not whole, end=end, leeway=5 if whole else 0) }}"
    )
    assert shorten(text, length, end, whole_words=whole) == template.render(
        t=text, n=length, end=end, whole=whole
    )


def own_words(template: str) -> list[str]:
    """The words a template writes itself: what is left once comments, statements, expressions
    and tags are taken out."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<[^>]*>", " ", template, flags=re.S)
    return re.findall(r"[A-Za-z]{2,}", text)


def test_the_pdf_template_has_no_words_of_its_own() -> None:
    """The plan's wording is the document's: a sentence written into plan.html would be missing
    from every other format of the plan (and from a translation)."""
    assert own_words(TEMPLATE.read_text(encoding="utf-8")) == []
    # The check sees a sentence put between the tags.
    planted = TEMPLATE.read_text(encoding="utf-8").replace(
        "<h2>{{ find_out.heading }}</h2>", "<h2>Find out first</h2>"
    )
    assert own_words(planted) == ["Find", "out", "first"]
