"""The results page as the expert's 25-bed hospital reads it (issue #34): no critical action of a
window hidden behind "And N more" (its offline-backup fix was), and the "list what you run" link
inside the gap it belongs to."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.factories import World
from tests.kev.catalogs import submit_hospital


def test_every_critical_action_of_a_window_is_shown(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    assessment_id = submit_hospital(app, client, world)
    with app.test_request_context():
        from portal.assessments import state
        from portal.models import Assessment

        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        plan = state.load(assessment).plan
        first = plan.in_window(30)
        critical = [a.action.title for a in first if a.critical]
    assert len(first) > 6 and len(critical) > 6  # the case the page used to cut
    assert any("offline" in t.lower() and "backup" in t.lower() for t in critical)
    page = BeautifulSoup(
        client.get(f"/assessments/{assessment_id}/results").get_data(as_text=True), "html.parser"
    )
    window = next(
        h for h in page.select("#details-plan h3") if h.get_text().startswith("Within 30")
    )
    shown = [h.get_text(" ", strip=True) for h in window.find_next("ol").select("h4")]
    for title in critical:
        assert any(s.startswith(title) for s in shown), title
    more = window.find_next("ol").find_next_sibling("p")
    assert more is not None and f"And {len(first) - len(shown)} more" in more.get_text()
