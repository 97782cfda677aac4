"""A plan one person can follow: the first five on top, a board summary, a plan within budget, a
backlog appendix, the answers appendix on request, and a typical hospital's plan in 12 pages."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal.questionnaire import Question
from tests.factories import World, submit_assessment, submit_typical
from tests.web import login, pages_text


def first_page_with(pages: list[str], text: str) -> int | None:
    return next((n for n, page in enumerate(pages, start=1) if text in page), None)


def test_a_typical_small_hospital_gets_a_plan_of_at_most_12_pages(
    app: Flask, client: FlaskClient, pdf_cache: Any
) -> None:
    """The expert's hospital got 56 actions in 31 pages. The typical hospital here has about as
    many gaps (portal/devdata/typical.py); its plan must fit in 12 pages, the first five and a
    two-page board summary at the front, the backlog at the end, and no answer appendix."""
    assessment_id, email = submit_typical(app, "hospital")
    login(client, email)
    response = client.get(f"/assessments/{assessment_id}/plan.pdf")
    assert response.status_code == 200
    pages = pages_text(response.get_data())
    assert len(pages) <= 12
    assert first_page_with(pages, "Summary for the board") == 2
    assert first_page_with(pages, "Your first five") == 2
    assert first_page_with(pages, "Scores by priority") == 4  # the summary is two pages
    assert first_page_with(pages, "Appendix: the backlog") is not None
    assert first_page_with(pages, "Appendix: every answer") is None
    text = " ".join(pages)
    assert "OVER BUDGET" in text  # ten critical fixes do not fit one person's 30 days
    assert "get help with them" in text and "approve outside help" in text
    assert not re.search(r"\bit lead\b|it_lead", text)  # owners read as words, not ids
    assert "IT lead" in text

    # The same plan with every answer appended: its own file, longer.
    with_answers = client.get(f"/assessments/{assessment_id}/plan.pdf?answers=1")
    assert with_answers.status_code == 200
    assert "with-answers" in with_answers.headers["Content-Disposition"]
    longer = pages_text(with_answers.get_data())
    assert len(longer) > len(pages)
    assert first_page_with(longer, "Appendix: every answer") is not None
    assert first_page_with(longer, "CPG 2.0") is not None
    # And the short one is still the short one (the cache keeps them apart).
    again = client.get(f"/assessments/{assessment_id}/plan.pdf")
    assert len(pages_text(again.get_data())) == len(pages)


def test_the_results_page_opens_with_the_first_five_and_a_backlog_note(
    app: Flask, client: FlaskClient
) -> None:
    assessment_id, email = submit_typical(app, "hospital")
    login(client, email)
    html = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    first_five = html.index("Your first five")
    assert first_five < html.index("Score per defensive priority")
    steps = re.findall(
        r'<h3 class="usa-process-list__heading">', html[first_five : html.index("Score per")]
    )
    assert len(steps) == 5
    assert re.search(r"Backlog:</strong> \d+ more actions do not fit in 90 days", html)
    assert "Who: IT lead" in html and "it_lead" not in html and "Who: it lead" not in html
    assert "Over budget: critical gaps cannot wait" in html
    # Information is apart from services, and below them.
    assert html.index("Services you can apply for") < html.index("Useful information")
    services = html[html.index("Services you can apply for") : html.index("Useful information")]
    assert "Known Exploited Vulnerabilities" not in services
    assert "Known Exploited Vulnerabilities" in html[html.index("Useful information") :]
    # Two downloads: the plan, and the plan with every answer.
    assert f"/assessments/{assessment_id}/plan.pdf?answers=1" in html


def test_a_capped_score_leads_with_what_holds_it_down(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    """The expert's bank case, as a hospital: everything in place but two critical gaps. The
    total rates Advanced; the page, the PDF and the coordinator say what holds it at At risk,
    never the bottom tier's "Basic protections are missing"."""

    def two_gaps(question: Question) -> str:
        if question.id in ("core.offline_backups", "hospital.ehr_downtime_procedures"):
            return min(question.options, key=lambda o: o.points or 0).value
        if question.profile:
            return "yes" if question.option("yes") else question.options[0].value
        return max(question.options, key=lambda o: o.points or 0).value

    assessment_id = submit_assessment(app, world, answer=two_gaps)
    login(client, world.operator_a)
    html = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert "Advanced on points, held at At risk by 2 critical gaps" in html
    assert "Basic protections are missing" not in html
    assert "which would rate Advanced" in html and "Fix them first" in html
    text = " ".join(pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data()))
    assert "Advanced on points, held at At risk by 2 critical gaps" in text
    assert "Basic protections are missing" not in text
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    review = coordinator.get(f"/review/assessments/{assessment_id}").get_data(as_text=True)
    assert "Advanced on points, held at At risk by 2 critical gaps" in review


def test_nothing_to_do_shows_no_empty_plan_heading(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    def best(question: Question) -> str:
        if question.profile:
            return "no" if question.option("no") else question.options[0].value
        return max(question.options, key=lambda o: o.points or 0).value

    assessment_id = submit_assessment(app, world, answer=best)
    login(client, world.operator_a)
    html = client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert "No gaps found" in html
    assert "30/60/90-day plan" not in html and "Your first five" not in html
    pages = pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data())
    text = " ".join(pages)
    assert "No gaps were found" in text
    for heading in ("The 30/60/90-day plan", "Action plan", "Appendix: the backlog"):
        assert heading not in text
