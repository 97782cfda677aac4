"""The results page as the expert's 25-bed hospital reads it (issue #34): no critical action of a
window hidden behind "And N more" (its offline-backup fix was) — each is written out once, as a
step above the windows or in the window's list — and the "list what you run" link inside the gap
it belongs to."""

from __future__ import annotations

import re
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
    # Written out once: as one of the steps above the windows, or in the window's own list.
    steps = [h.get_text(" ", strip=True) for h in page.select("[id^=step-] > h3, [id^=step-] > h4")]
    window = next(
        h for h in page.select("#details-plan h3") if h.get_text().startswith("Within 30")
    )
    listed = [h.get_text(" ", strip=True) for h in window.find_next("ol").select("h4")]
    for title in critical:
        assert any(s.startswith(title) for s in steps + listed), title
    more = window.find_next("ol").find_next_sibling("p")
    assert more is not None
    hidden = int(re.search(r"And (\d+) more", more.get_text()).group(1))  # type: ignore[union-attr]
    written_above = sum(1 for a in first if any(s.startswith(a.action.title) for s in steps))
    assert written_above + len(listed) + hidden == len(first)
