"""One count of critical gaps on every surface (issue #28): the expert's hospital showed 10 on the
web page, 8 in the board summary and 16 in the plan. Here the 25-bed hospital of
tests/domain/operators.py — its answers and its products typed into the real forms — is
submitted, and the results page, the coordinator's queue, the plan PDF and its board summary
all say the same number; the page and the plan open with the same This-week steps."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.kev.catalog import SNAPSHOT
from portal.questionnaire.model import Question
from tests.domain.operators import HOSPITAL, answers_of
from tests.factories import World, submit_assessment
from tests.kev.catalogs import load, type_products
from tests.web import login, pages_text


def test_the_results_page_the_queue_the_plan_and_the_board_show_one_count(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    load(app, SNAPSHOT.read_bytes(), source=str(SNAPSHOT))
    login(client, world.operator_a)
    for item, added in zip(
        HOSPITAL.products, type_products(client, HOSPITAL.products), strict=True
    ):
        assert added.status_code == 302, item
    with app.app_context():
        from portal import questionnaire_versions

        answers = answers_of(questionnaire_versions.current(), HOSPITAL)

    def answer(question: Question) -> str:
        value = answers.get(question.id)
        assert value is not None, question.id
        return value

    assessment_id = submit_assessment(app, world, answer=answer)

    html = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    heading = page.select_one("#critical-gaps").get_text(" ", strip=True)
    count = int(re.search(r"\((\d+)\)", heading).group(1))  # type: ignore[union-attr]
    assert count >= 10  # five critical answers and the internet-facing or ransomware products
    assert len(page.select(".portal-critical__item")) == count
    assert f"{count} critical gaps" in page.select_one(".portal-next-steps").get_text(" ")
    assert f"held at At risk by {count} critical gaps" in html
    # This week opens with the first five (written out there, once: #34).
    week = [h.get_text(" ", strip=True) for h in page.select(".portal-first-five h3")]
    assert week[:3] == [
        "Check your exposed devices for signs of a break-in as you patch Critical",
        "Close remote desktop and admin pages to the internet Critical",
        "Require multifactor sign-in for all remote EHR and email access Critical",
    ]

    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    queue = BeautifulSoup(coordinator.get("/review/").get_data(as_text=True), "html.parser")
    cells = [td.get_text(strip=True) for td in queue.select('td[data-label="Critical gaps"]')]
    assert cells == [str(count)]

    pdf = pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data())
    board = " ".join(pdf[1:3])  # the two pages of the summary for the board
    assert f"At risk · {count} critical gaps" in board
    assert f"held at At risk by {count} critical gaps" in board
    assert f"The {count} critical gaps: close these first" in board
    text = " ".join(pdf)
    assert f"The {count} critical gaps are closed by the actions marked CRITICAL" in text
    # The board's terms: three risks, a budget line in dollars, staff days, and the plan's
    # This-week block above the 30/60/90 windows.
    assert "The 3 risks to know about" in board and "Approve a budget of $" in board
    assert re.search(r"Give staff about \d+ working days over 90 days", board)
    assert text.index("This week — steps measured in hours") < text.index("Within 30 days — about")
    # A hospital's plan cites hospital references only; NERC, C2M2 or AWIA are not its own.
    with_answers = " ".join(
        pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf?answers=1").get_data())
    )
    appendix = with_answers[with_answers.index("Appendix: every answer") :]
    assert "HICP" in appendix or "HPH" in appendix
    assert not re.search(r"\b(C2M2|NERC|AWIA|FFIEC|WTR-TOP)", appendix)
