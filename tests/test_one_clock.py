"""One clock per reader (#34): an operator reads every time on their organization's clock with
the zone named — pages, the autosave's answer, the plan's PDF and Word files, the tool-request
PDF and their mail; a coordinator reads pages and mail on their own (first jurisdiction's)
clock. Before, one journey showed the device's clock ("Saved at 11:49 PM"), the state's ("6:49
PM EST") and UTC ("Generated … 23:49 UTC").

The organization is in Arizona (MST all year); the coordinator's first jurisdiction is Ohio
(Eastern, EST in December), their second Arizona — so they review the organization on another
clock.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from bs4 import BeautifulSoup
from docx import Document
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.mail import outbox
from portal.models import Assessment, Jurisdiction, Organization, User
from tests.factories import PASSWORD, World, add_tool_request, submit_assessment
from tests.smtp import SmtpServer
from tests.web import login, pages_text, post_form

# 04:49 UTC on Dec 6 is 11:49 PM on Dec 5 in Ohio and 9:49 PM in Arizona.
SUBMITTED = datetime(2026, 12, 6, 4, 49, tzinfo=UTC)
MOUNTAIN = re.compile(r"\b[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M MST\b")


def _page_text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    main = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("main")
    assert main is not None
    return " ".join(main.get_text(" ").split())


def _submitted(app: Flask, world: World) -> int:
    assessment_id = submit_assessment(app, world)
    with app.app_context():
        db.session.execute(
            sa.update(Assessment)
            .where(Assessment.id == assessment_id)
            .values(submitted_at=SUBMITTED)
        )
        organization = db.session.get_one(Organization, world.org_a)
        organization.state, organization.county = "AZ", "Pima"
        coordinator = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        assert coordinator is not None  # Ohio's, made first; now Arizona's too
        coordinator.jurisdictions.append(Jurisdiction(name="Arizona", state="AZ"))
        db.session.commit()
    return assessment_id


def test_an_operator_reads_the_organizations_clock_and_a_coordinator_their_own(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any, mail_server: SmtpServer
) -> None:
    assessment_id = _submitted(app, world)
    login(client, world.operator_a)

    results = _page_text(client, f"/assessments/{assessment_id}/results")
    assert "Submitted Dec 5, 2026, 9:49 PM MST" in results
    assert "UTC" not in results

    # The wizard's autosave writes "Saved at" the time of the answer's Date header, on the
    # zone its step page gives (static/js/wizard.js; the browser journey reads the message).
    step = post_form(client, "/assessments/start", {}, follow_redirects=True)
    data = BeautifulSoup(step.get_data(as_text=True), "html.parser").select_one("#wizard-data")
    assert data is not None and '"timeZone": "America/Phoenix"' in data.get_text()

    pdf = " ".join(pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data()))
    assert re.search(r"Generated " + MOUNTAIN.pattern, pdf), pdf[:600]
    assert re.search(r"#\d+, submitted December 5, 2026", pdf), pdf[:600]  # not the UTC day
    assert "UTC" not in pdf

    word = Document(io.BytesIO(client.get(f"/assessments/{assessment_id}/plan.docx").get_data()))
    header = " ".join(p.text for p in word.sections[0].header.paragraphs)
    assert MOUNTAIN.search(header), header

    with app.app_context():
        request = add_tool_request(world.org_a, assessment_id)
        request.created_at = SUBMITTED
        db.session.commit()
        request_id = request.id
    request_pdf = " ".join(pages_text(client.get(f"/tool-requests/{request_id}.pdf").get_data()))
    assert "(sent Dec 5, 2026)" in request_pdf and MOUNTAIN.search(request_pdf)
    assert "UTC" not in request_pdf

    # Mail: a security notice says when, on the reader's clock.
    changed = post_form(
        client,
        "/account/password",
        {
            "current": PASSWORD,
            "password": "a new password nobody guesses",
            "confirm": "a new password nobody guesses",
        },
    )
    changed.close()
    outbox.wait_for_deliveries()
    (notice,) = [m for m in mail_server.to(world.operator_a) if "password" in m.message["Subject"]]
    # (The text part is wrapped at 72 characters: a time may break across lines.)
    assert MOUNTAIN.search(" ".join(notice.text.split())), notice.text
    assert MOUNTAIN.search(notice.html), notice.html

    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    review = _page_text(coordinator, f"/review/assessments/{assessment_id}")
    assert "Submitted Dec 5, 2026, 11:49 PM EST" in review
    assert "MST" not in review and "UTC" not in review
    with app.app_context():
        from portal.mail import notices

        person = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        assert person is not None
        notices.recovery_codes_made(person)
        db.session.commit()
    outbox.wait_for_deliveries()
    (theirs,) = [
        m for m in mail_server.to(world.coordinator_x) if "recovery codes" in m.message["Subject"]
    ]
    assert re.search(r"\d{1,2}:\d{2} [AP]M E[SD]T", " ".join(theirs.text.split())), theirs.text
