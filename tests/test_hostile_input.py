"""A corpus of hostile strings through every free-text field, on SQLite and PostgreSQL:
never a 500; stored exactly as typed or refused with a message; always shown escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import (
    Assessment,
    Jurisdiction,
    Organization,
    ReviewComment,
    ToolRequest,
    utcnow,
)
from tests.factories import REGISTRATION, World, submit_assessment
from tests.web import Wizard, csrf_token, login, post_form, start

CORPUS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE users; --",
    "Robert'); DELETE FROM answers WHERE ('1'='1",
    "\u202egnp.exe",  # right-to-left override
    "Z\u0351\u0356\u0329a\u0301\u0301\u0301lgo",  # combining marks
    "emoji 🔥💾 and CJK 病院",
    "{{ 7*7 }} {% raw %}",  # template syntax stays text
]
REFUSED = ["nul\x00byte", "bell\x07"]


def shown_escaped(html: str, value: str) -> bool:
    """A value containing markup never appears raw in the page (it was escaped)."""
    return not ("<" in value and value in html)


def test_notes_comments_and_requests(app: Flask, world: World) -> None:
    operator = app.test_client()
    login(operator, world.operator_a)
    wizard = Wizard(operator, start(operator))
    for value in CORPUS:
        response = wizard.answer(0, notes={"core.security_lead": value}, action="stay")
        assert response.status_code == 302, value
        with app.app_context():
            from portal.models import Answer

            stored = db.session.scalar(
                sa.select(Answer.note).where(Answer.question_id == "core.security_lead")
            )
        assert stored == value
        assert shown_escaped(wizard.page(0).html, value)
    for value in REFUSED + ["x" * 10_000]:
        response = wizard.answer(0, notes={"core.security_lead": value}, action="stay")
        assert response.status_code == 400, repr(value[:20])
        assert "There is a problem" in response.get_data(as_text=True)
    # A submitted assessment for comments, requests and decisions.
    with app.app_context():
        db.session.execute(sa.delete(Assessment))
        db.session.commit()
    assessment_id = submit_assessment(app, world)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = f"/review/assessments/{assessment_id}"
    for value in CORPUS:
        assert (
            post_form(coordinator, f"{page}/comments", {"body": value}, page=page).status_code
            == 302
        )
        assert shown_escaped(coordinator.get(page).get_data(as_text=True), value)
    for value in REFUSED:
        response = post_form(coordinator, f"{page}/comments", {"body": value}, page=page)
        assert response.status_code == 400
    with app.app_context():
        bodies = db.session.scalars(sa.select(ReviewComment.body)).all()
    assert sorted(bodies) == sorted(CORPUS)
    form_page = operator.get(f"/assessments/{assessment_id}/tool-requests/new")
    html = form_page.get_data(as_text=True)
    tool = re.search(r'<input[^>]*name="tools"[^>]*value="([a-z0-9_]+)"', html).group(1)
    for value in CORPUS:
        response = operator.post(
            f"/assessments/{assessment_id}/tool-requests/new",
            data={
                "csrf_token": csrf_token(html),
                "tools": [tool],
                "contact_name": value[:120],
                "contact_email": "pat@alpha.example.org",
                "justification": value,
            },
        )
        assert response.status_code == 302, value
        assert shown_escaped(
            operator.get(response.headers["Location"]).get_data(as_text=True), value
        )
        # Decided and a day old, so the next one is within the limits on open and new requests.
        with app.app_context():
            db.session.execute(
                sa.update(ToolRequest).values(
                    status="denied", created_at=utcnow() - timedelta(days=2)
                )
            )
            db.session.commit()
    for value in REFUSED:
        response = operator.post(
            f"/assessments/{assessment_id}/tool-requests/new",
            data={
                "csrf_token": csrf_token(html),
                "tools": [tool],
                "contact_name": "Pat",
                "contact_email": "pat@alpha.example.org",
                "justification": value,
            },
        )
        assert response.status_code == 400
    with app.app_context():
        stored = db.session.scalars(
            sa.select(ToolRequest.justification).order_by(ToolRequest.id)
        ).all()
        request_id = db.session.scalar(sa.select(sa.func.min(ToolRequest.id)))
    assert stored == CORPUS
    show = coordinator.get(f"/tool-requests/{request_id}").get_data(as_text=True)
    decided = coordinator.post(
        f"/review/tool-requests/{request_id}/decide",
        data={"csrf_token": csrf_token(show), "action": "deny", "reason": "nul\x00"},
        follow_redirects=True,
    )
    assert "invisible control characters" in decided.get_data(as_text=True)
    pdf = coordinator.get(f"/tool-requests/{request_id}.pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF-")


@pytest.mark.parametrize("value", CORPUS + REFUSED)
def test_registration_and_admin_fields(app: Flask, world: World, value: str) -> None:
    client = app.test_client()
    response = post_form(
        client,
        "/register",
        {
            **REGISTRATION,
            "organization_name": value[:200],
            "full_name": value[:120],
            "email": "new@fresh.example.org",
        },
    )
    assert response.status_code in (200, 302)
    html = response.get_data(as_text=True)
    refused = value in REFUSED
    with app.app_context():
        # (PostgreSQL cannot even compare with a NUL: count rows for refused values.)
        organization = (
            None
            if refused
            else db.session.scalar(sa.select(Organization).where(Organization.name == value[:200]))
        )
        organizations = db.session.scalar(sa.select(sa.func.count(Organization.id)))
    if refused:
        assert "invisible control characters" in html and organizations == 2
    else:
        assert response.status_code == 302 and organization is not None
        assert shown_escaped(client.get("/organization/").get_data(as_text=True), value)
    admin = app.test_client()
    login(admin, world.admin)
    created = post_form(
        admin,
        "/admin/jurisdictions/new",
        {"name": value[:200], "state": "OH", "counties": "Pike"},
    )
    assert created.status_code in (200, 302)
    with app.app_context():
        jurisdictions = db.session.scalar(sa.select(sa.func.count(Jurisdiction.id)))
    assert jurisdictions == (2 if refused else 3)
    assert shown_escaped(admin.get("/admin/").get_data(as_text=True), value)
    for path in (
        "/review/?q=",
        "/review/?county=",
        "/admin/audit?actor=",
        "/admin/audit?action=",
        "/admin/?q=",
    ):
        from urllib.parse import quote

        response = admin.get(path + quote(value))
        assert response.status_code in (200, 400), path
        assert shown_escaped(response.get_data(as_text=True), value)
    # An admin adding an organization: the same fields as registration, stored as typed (or
    # refused with the same message), shown escaped on the page with its invitation link.
    added = post_form(
        admin,
        "/admin/organizations/new",
        {
            **{k: v for k, v in REGISTRATION.items() if k not in ("full_name", "email")},
            "organization_name": value[:200],
            "county": "Polk",
            "state": "IA",
            "operator_email": "first@iowa.example.org",
        },
    )
    if refused:
        assert added.status_code == 400
        assert "invisible control characters" in added.get_data(as_text=True)
    else:
        assert added.status_code == 200
        assert shown_escaped(added.get_data(as_text=True), " ".join(value[:200].split()))
    # A county is checked against the state's counties (#33): what was typed comes back in the
    # message, escaped, and nothing is stored.
    typed = post_form(
        app.test_client(),
        "/register",
        {**REGISTRATION, "county": value[:100], "email": "county@fresh.example.org"},
    )
    assert typed.status_code in (200, 400)
    page = typed.get_data(as_text=True)
    if not refused and value.strip():
        assert "has no county named" in page, value
        assert shown_escaped(page, value[:100])
