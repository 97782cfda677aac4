"""The results page says each thing once (#34): every action's title and text, and every "how to
check", appear at most once on the page (the plan's accordions opened or not), every critical
action exactly once, and no critical gap's question comes back as a heading in "Your first five"
— the realistic hospital of tests/domain/operators.py, and the same hospital unsure of three
critical answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.domain.operators import HOSPITAL
from tests.domain.test_results_page import UNKNOWING_HOSPITAL, UNSURE_HOSPITAL
from tests.factories import World
from tests.kev.catalogs import submit_hospital


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(
    "operator",
    [HOSPITAL, UNSURE_HOSPITAL, UNKNOWING_HOSPITAL],
    ids=["sure", "unsure", "unknowing"],
)
def test_the_results_page_says_each_action_once(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any, operator: Any
) -> None:
    assessment_id = submit_hospital(app, client, world, operator)
    with app.test_request_context():
        from portal.assessments import state
        from portal.models import Assessment

        loaded = state.load(db.session.get_one(Assessment, assessment_id))
        plan, questionnaire, result = loaded.plan, loaded.questionnaire, loaded.result
        gap_questions = [
            questionnaire.question(g.question_id).text for g in result.critical_questions
        ]
        unknowns = [questionnaire.question(g.question_id).text for g in result.critical_unknowns]
    page = BeautifulSoup(
        client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True), "html.parser"
    )
    main = page.select_one("main")
    assert main is not None
    text = _words(main.get_text(" "))

    # Every critical action written out exactly once — none hidden behind a window's "And N
    # more" (#34: the hospital's offline-backup fix was) — and no action twice.
    for action in plan.actions:
        for part in (action.action.title, action.action.detail):
            assert text.count(_words(part)) <= 1, part
        if action.critical:
            assert text.count(_words(action.action.detail)) == 1, action.action.title
    for task in plan.find_out:
        assert text.count(_words(task.how_to_check)) == 1, task.question_id

    first_five = main.select_one("#first-five")
    assert first_five is not None
    headings = " ".join(h.get_text(" ") for h in first_five.find_parent("section").select("h3"))
    for question in gap_questions:
        assert _words(question) not in _words(headings)
    # An unknown is named once: as the step that finds it out, which the gaps list links to
    # (the scores' table names what cost points, the unknowns among them: another question).
    scores = main.select_one("#details-scores")
    assert scores is not None
    scores.decompose()
    outside_scores = _words(main.get_text(" "))
    for question in unknowns:
        assert outside_scores.count(_words(question)) == 1, question
    # Every step and action a link names is on the page (a gap's fix, "steps 1–7 below").
    for link in main.select("a[href^='#step-'], a[href^='#action-']"):
        assert main.select_one(link["href"]) is not None, link["href"]
    numbers = [int(li["id"].split("-")[1]) for li in main.select("li[id^='step-']")]
    assert numbers == list(range(1, len(numbers) + 1))
