"""The tool-access request's page as each reader uses it (issue #34): the coordinator's way back
leads to the coordinator's pages, one solid button (the decision), and no heading said twice."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask import Flask

from portal.extensions import db
from tests.factories import World, add_tool_request, submit_assessment
from tests.web import login


def test_the_request_page_for_the_coordinator_and_for_the_operator(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    with app.app_context():
        row = add_tool_request(world.org_a, assessment_id)
        db.session.commit()
        request_id = row.id
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = BeautifulSoup(
        coordinator.get(f"/tool-requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    main = page.select_one("main")
    assert main is not None
    solid = [
        e.get_text(strip=True)
        for e in main.select(".usa-button")
        if "usa-button--outline" not in (e.get("class") or [])
    ]
    assert solid == ["Record decision"]
    links = {a.get_text(strip=True): a["href"] for a in main.select("a")}
    assert links["Back to the tool-access requests"] == "/review/tool-requests"
    assert links["the organization's assessment"] == f"/review/assessments/{assessment_id}"
    assert "Back to the results" not in links
    headings = [h.get_text(strip=True) for h in main.select("h2, legend")]
    assert len(headings) == len(set(headings)), headings
    operator = app.test_client()
    login(operator, world.operator_a)
    own = BeautifulSoup(
        operator.get(f"/tool-requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    back = own.find("a", string="Back to the results")
    assert back is not None and back["href"] == f"/assessments/{assessment_id}/results"
