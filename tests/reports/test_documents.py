"""The plan and tool-request PDFs as people get them: downloaded through the app."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from portal.extensions import db
from portal.models import ToolRequest, ToolRequestStatus
from tests.factories import World, submit_assessment
from tests.reports.canary import Canary, hostile_strings
from tests.web import csrf_token, login, post_form


def read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


@pytest.fixture
def render_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from portal.reports import documents

    calls: list[int] = []
    real = documents.render_bounded

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "render_bounded", counting)
    return calls


def test_plan_pdf_reads_like_the_report_and_is_cached(
    app: Flask,
    client: FlaskClient,
    world: World,
    canary: Canary,
    render_count: list[int],
    pdf_cache: Any,
) -> None:
    hostile = hostile_strings(canary.url)
    notes = {
        "core.security_lead": hostile[0] + " " + hostile[1],
        "core.asset_inventory": hostile[2],
        "core.security_policy": hostile[3],
    }
    assessment_id = submit_assessment(
        app, world, notes=notes, org_name=f"Alpha <b>Hospital</b> {hostile[4]}"
    )
    login(client, world.operator_a)
    # With every answer appended: the notes are printed there.
    response = client.get(f"/assessments/{assessment_id}/plan.pdf?answers=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-")
    reader, text = read(pdf)
    assert len(reader.pages) >= 8
    assert reader.metadata is not None
    assert reader.metadata.title.startswith("Cyber readiness remediation plan — Alpha <b>Hospital")
    assert reader.attachments == {}
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged PDF (pdf/ua-1)
    assert "SENSITIVE — NOT FOR PUBLIC RELEASE" in text
    assert "Alpha <b>Hospital</b>" in text  # the name as typed, shown as text
    assert "Remediation plan" in text and "Page 2 of" in text
    with app.app_context():
        from portal.models import Assessment

        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        assert f"{assessment.overall_score} / 100" in text
    assert "Within 30 days" in text and "CRITICAL" in text
    assert "Find out first" in text
    assert "Appendix: every answer" in text and "CPG 2.0" in text
    # A note, printed as text (column wrapping may break it across lines).
    assert '<imgsrc="file:///etc/passwd">' in text.replace(" ", "")
    assert canary.requests == []  # nothing was fetched from the hostile strings
    # A second download of the unchanged plan comes from the cache.
    again = client.get(f"/assessments/{assessment_id}/plan.pdf?answers=1")
    assert again.get_data() == pdf
    assert len(render_count) == 1


def test_plan_needs_a_submitted_assessment_and_access(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    assessment_id = submit_assessment(app, world)
    outsider = app.test_client()
    login(outsider, world.operator_b)
    assert outsider.get(f"/assessments/{assessment_id}/plan.pdf").status_code == 404
    other_coordinator = app.test_client()
    login(other_coordinator, world.coordinator_y)
    assert other_coordinator.get(f"/assessments/{assessment_id}/plan.pdf").status_code == 404
    login(client, world.operator_a)
    draft = post_form(client, "/assessments/start", {}, page="/assessments/")
    draft_id = int(re.search(r"/assessments/(\d+)/", draft.headers["Location"]).group(1))
    response = client.get(f"/assessments/{draft_id}/plan.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")


def test_too_slow_a_render_gives_a_clear_message(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    assessment_id = submit_assessment(app, world)
    login(client, world.operator_a)
    app.config["PDF_RENDER_TIMEOUT"] = 0.05
    try:
        response = client.get(f"/assessments/{assessment_id}/plan.pdf")
    finally:
        app.config["PDF_RENDER_TIMEOUT"] = 30
    assert response.status_code == 503
    assert "The PDF is taking too long" in response.get_data(as_text=True)


def test_tool_access_request_from_gaps_to_pdf(
    app: Flask, client: FlaskClient, world: World, canary: Canary, pdf_cache: Any
) -> None:
    assessment_id = submit_assessment(app, world)
    login(client, world.operator_a)
    form_page = client.get(f"/assessments/{assessment_id}/tool-requests/new")
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    assert "Our cyber readiness self-assessment of" in html  # justification pre-filled
    offered = re.findall(r'<input[^>]*name="tools"[^>]*value="([a-z0-9_]+)"', html)
    assert offered and 'name="tools" required' not in html
    # Only what the state gives is requested from the coordinator; CISA's scanning is applied
    # for directly, with a message already filled in.
    assert "state_cyber_assistance" in offered and "cisa_vuln_scanning" not in offered
    assert "csbs_rsat" not in offered  # a bank service, not for a hospital
    direct = BeautifulSoup(html, "html.parser").select_one("#apply-cisa_vuln_scanning")
    assert direct is not None and "CISA decides" in direct.get_text(" ", strip=True)
    mailto = direct.select_one('a[href^="mailto:"]')["href"]
    assert mailto.startswith(
        "mailto:vulnerability@cisa.dhs.gov?subject=Requesting%20Cyber%20Hygiene"
    )
    # Bad input: nothing chosen, a malformed email — clear messages, text kept.
    bad = client.post(
        f"/assessments/{assessment_id}/tool-requests/new",
        data={
            "csrf_token": csrf_token(html),
            "contact_name": "Pat",
            "contact_email": "nope",
            "justification": "kept text",
        },
    )
    assert bad.status_code == 400
    bad_html = bad.get_data(as_text=True)
    assert "Choose at least one service." in bad_html
    assert "Enter an email address like" in bad_html and "kept text" in bad_html
    justification = "We need help. " + " ".join(hostile_strings(canary.url)) + " " + "x" * 3000
    response = client.post(
        f"/assessments/{assessment_id}/tool-requests/new",
        data={
            "csrf_token": csrf_token(html),
            "tools": offered[:2],
            "contact_name": "Pat Operator",
            "contact_email": "Pat@Alpha.example.org",
            "contact_phone": "+1 (555) 010-0199",
            "justification": justification,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        request_row = db.session.scalar(sa.select(ToolRequest))
        assert request_row is not None
        assert request_row.status is ToolRequestStatus.SUBMITTED
        assert sorted(i.tool_id for i in request_row.items) == sorted(offered[:2])
        assert request_row.justification == justification
        request_id = request_row.id
    page = client.get(f"/tool-requests/{request_id}").get_data(as_text=True)
    assert "&lt;img src=" in page and '<img src="file' not in page
    pdf = client.get(f"/tool-requests/{request_id}.pdf")
    assert pdf.status_code == 200
    reader, text = read(pdf.get_data())
    assert reader.attachments == {}
    assert "Request for defensive services" in text
    assert "Pat Operator" in text and "pat@alpha.example.org" in text
    assert "CISA" in text and "SENSITIVE" in text
    assert canary.requests == []
    # The coordinator of the jurisdiction can download it; another coordinator cannot.
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    assert coordinator.get(f"/tool-requests/{request_id}.pdf").status_code == 200
    stranger = app.test_client()
    login(stranger, world.coordinator_y)
    assert stranger.get(f"/tool-requests/{request_id}.pdf").status_code == 404
    assert stranger.get(f"/tool-requests/{request_id}").status_code == 404
    # The operator's assessments page lists it with its status.
    listing = client.get("/assessments/").get_data(as_text=True)
    assert "(2 services)" in listing and "Submitted" in listing


def test_tool_request_only_after_submission(client: FlaskClient, world: World) -> None:
    login(client, world.operator_a)
    draft = post_form(client, "/assessments/start", {}, page="/assessments/")
    draft_id = int(re.search(r"/assessments/(\d+)/", draft.headers["Location"]).group(1))
    response = client.get(f"/assessments/{draft_id}/tool-requests/new")
    assert response.status_code == 302


def test_a_100_kb_note_still_renders_within_the_limit(
    app: Flask, client: FlaskClient, world: World, canary: Canary, pdf_cache: Any
) -> None:
    # Forms cap notes at 2,000 characters; data imported or written by other means may not be.
    import time

    words = " ".join(["overlong"] * 12_000) + " " + hostile_strings(canary.url)[0]
    assert len(words) > 100_000
    assessment_id = submit_assessment(app, world, notes={"core.security_lead": words})
    login(client, world.operator_a)
    started = time.monotonic()
    response = client.get(f"/assessments/{assessment_id}/plan.pdf?answers=1")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert elapsed < app.config["PDF_RENDER_TIMEOUT"]
    _, text = read(response.get_data())
    assert "overlong overlong" in text
    assert "shortened here; the full note is in the portal" in text
    assert canary.requests == []
