"""Builders of test data, shared by every test module: a small world of tenants, submitted
assessments, tool requests. Fixtures (tests/conftest.py) call these; tests import them from here,
never from another test module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.assessments import lifecycle, reading
from portal.auth import service, tokens
from portal.devdata import typical
from portal.extensions import db
from portal.mail import preferences
from portal.models import (
    Answer,
    InventoryItem,
    Invitation,
    Jurisdiction,
    KevEntry,
    KevEntryFamily,
    KevImport,
    Organization,
    Role,
    TokenPurpose,
    ToolRequest,
    ToolRequestItem,
    User,
    utcnow,
)
from portal.questionnaire import Question

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent.parent / "questionnaires"

PASSWORD = "correct horse battery staple"


TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


REGISTRATION = {
    "organization_name": "Pine County Memorial Hospital",
    "sectors": ["hospital"],
    "ownership": "public",
    "size_band": "small",
    "state": "OH",
    "county": "Pike",
    "full_name": "Pat Operator",
    "email": "pat@pine-hospital.example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


class World:
    """A small, named set of tenants for access tests: two orgs, two jurisdictions, an admin."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            ohio = Jurisdiction(name="Ohio", state="OH")
            lake = Jurisdiction(name="Lake County, Indiana", state="IN")
            lake.counties = ["Lake"]
            db.session.add_all([ohio, lake])
            db.session.flush()
            self.operator_a = self._operator(
                "Alpha Hospital SENTINEL-A", "hospital", "OH", "Pine", "a@alpha.example.org"
            )
            self.operator_b = self._operator(
                "Bravo Water SENTINEL-B", "water", "IN", "Lake", "b@bravo.example.org"
            )
            self.coordinator_x = service.create_staff_user(
                Role.COORDINATOR, "Xena Coord", "x@state-oh.example.org", PASSWORD, [ohio]
            ).email
            self.coordinator_y = service.create_staff_user(
                Role.COORDINATOR, "Yuri Coord", "y@lake-in.example.org", PASSWORD, [lake]
            ).email
            self.admin = service.create_staff_user(
                Role.ADMIN, "Ada Admin", "admin@portal.example.org", PASSWORD
            ).email
            db.session.commit()
            self.org_a = self._org_id("a@alpha.example.org")
            self.org_b = self._org_id("b@bravo.example.org")

    @staticmethod
    def _operator(name: str, sector: str, state: str, county: str, email: str) -> str:
        user = service.register_organization(
            service.NewOrganization(name, [sector], "public", "small", state, county),
            "Op " + name.split()[0],
            email,
            PASSWORD,
        )
        user.email_confirmed_at = utcnow()  # established accounts: their address is proven
        return user.email

    @staticmethod
    def _org_id(email: str) -> int:
        org_id = db.session.scalar(sa.select(User.organization_id).where(User.email == email))
        assert org_id is not None
        return org_id


def add_tool_request(
    organization_id: int, assessment_id: int, justification: str = "Need scanning", **fields: Any
) -> ToolRequest:
    """A submitted request for one tool (CISA vulnerability scanning), added to the session of
    the current app context; the caller commits."""
    row = ToolRequest(
        organization_id=organization_id,
        assessment_id=assessment_id,
        contact_name="Pat",
        contact_email="pat@alpha.example.org",
        justification=justification,
        **fields,
    )
    row.items = [ToolRequestItem(tool_id="cisa_vuln_scanning")]
    db.session.add(row)
    return row


def submit_assessment(
    app: Flask,
    world: World,
    *,
    notes: dict[str, str] | None = None,
    org_name: str | None = None,
    answer: Callable[[Question], str] | None = None,
) -> int:
    """A submitted hospital assessment for world.org_a, answered straight through the service:
    by ``answer(question)`` if given, else worst on critical questions, first option elsewhere
    and "don't know" on KEV tracking."""
    with app.test_request_context():
        org = db.session.get(Organization, world.org_a)
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert org is not None and user is not None
        if org_name is not None:
            org.name = org_name
        assessment = lifecycle.start(org, user)
        questionnaire = reading.questionnaire_of(assessment)
        for question in questionnaire.questions_in(assessment.modules):
            worst = question.profile is False and question.critical
            value = (
                min(question.options, key=lambda o: o.points or 0).value
                if worst
                else question.options[0].value
            )
            if question.id == "core.kev_tracking":
                value = "dont_know"
            if answer is not None:
                value = answer(question)
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=question.id,
                    value=value,
                    note=(notes or {}).get(question.id, ""),
                    updated_by_id=user.id,
                )
            )
        db.session.flush()
        lifecycle.submit(assessment, user)
        db.session.commit()
        return assessment.id


def submit_typical(app: Flask, sector: str, state: str = "OH") -> tuple[int, str]:
    """A typical small operator of ``sector`` (portal.devdata.typical) registers and submits its
    first assessment; returns (assessment id, operator's email)."""
    org = typical.typical(sector)
    email = f"it@{sector}-typical.example.org"
    with app.test_request_context():
        user = service.register_organization(
            service.NewOrganization(
                org.name, [org.sector], org.ownership, org.size_band, state, "Pine"
            ),
            "Typical IT Lead",
            email,
            PASSWORD,
        )
        assert user.organization is not None
        assessment = lifecycle.start(user.organization, user)
        answers = typical.typical_answers(reading.questionnaire_of(assessment), org)
        db.session.add_all(
            Answer(assessment_id=assessment.id, question_id=qid, value=value, updated_by_id=user.id)
            for qid, value in answers.items()
        )
        db.session.flush()
        lifecycle.submit(assessment, user)
        db.session.commit()
        return assessment.id, email


def submit_for_b(app: Flask, world: World) -> int:
    """World's second organization (Bravo Water, Lake County IN) submits too."""
    original = (world.org_a, world.operator_a)
    world.org_a, world.operator_a = world.org_b, world.operator_b
    try:
        return submit_assessment(app, world)
    finally:
        world.org_a, world.operator_a = original


def stored_answers(app: Flask, assessment_id: int) -> dict[str, Answer]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment_id))
        return {r.question_id: r for r in rows}


def add_fortios_entry() -> str:
    """One known-exploited entry of FortiOS (family "fortinet-fortios"), as an import writes it,
    added to the session of the current app context; its CVE id."""
    kev_import = KevImport(
        catalog_version="test", released_at=utcnow(), source="test", entry_count=1
    )
    db.session.add(kev_import)
    db.session.flush()
    db.session.add(
        KevEntry(
            cve_id="CVE-2024-21762",
            vendor_project="Fortinet",
            product="FortiOS",
            vulnerability_name="Fortinet FortiOS Out-of-Bound Write Vulnerability",
            date_added=date(2024, 2, 9),
            short_description="FortiOS contains an out-of-bound write vulnerability.",
            required_action="Apply mitigations per vendor instructions.",
            due_date=date(2024, 2, 16),
            first_import_id=kev_import.id,
            changed_import_id=kev_import.id,
        )
    )
    db.session.add(KevEntryFamily(family_key="fortinet-fortios", cve_id="CVE-2024-21762"))
    return "CVE-2024-21762"


def access_objects(app: Flask, world: World) -> dict[str, Any]:
    """One of each object the access tests try (see the ``objects`` fixture): A's submitted
    assessment, a tool request, an invitation and its token, a draft of A's (started, never
    submitted), and the ids of A's organization and of coordinator Y."""
    submitted = submit_assessment(app, world)
    with app.test_request_context():
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        organization = db.session.get(Organization, world.org_a)
        assert operator is not None and organization is not None
        request_row = add_tool_request(
            world.org_a, submitted, justification="x", created_by_id=operator.id
        )
        _, token = service.create_invitation(organization, "new@alpha.example.org", operator)
        db.session.commit()
        ids: dict[str, Any] = {
            "submitted": submitted,
            "request": request_row.id,
            "invitation": db.session.scalar(sa.select(Invitation.id)),
            "invitation_token": token,
            "org_a": world.org_a,
            "coordinator_y_id": db.session.scalar(
                sa.select(User.id).where(User.email == world.coordinator_y)
            ),
        }
        ids["draft"] = lifecycle.start(organization, operator).id
        # A product matched to one catalog entry (the rows an import would write).
        add_fortios_entry()
        product = InventoryItem(
            organization_id=world.org_a,
            category="edge",
            vendor="Fortinet",
            product="FortiGate",
            family_key="fortinet-fortios",
        )
        db.session.add(product)
        db.session.flush()
        ids["product"] = product.id
        ids["cve"] = "CVE-2024-21762"
        coordinator_y = db.session.get(User, ids["coordinator_y_id"])
        assert coordinator_y is not None
        ids["reset_token"] = tokens.secret_of(tokens.issue(operator, TokenPurpose.RESET_PASSWORD))
        ids["set_token"] = tokens.secret_of(tokens.issue(coordinator_y, TokenPurpose.SET_PASSWORD))
        ids["confirm_token"] = tokens.secret_of(tokens.issue(operator, TokenPurpose.CONFIRM_EMAIL))
        ids["change_token"] = tokens.secret_of(
            tokens.issue(
                operator, TokenPurpose.CHANGE_EMAIL, new_email="new.address@alpha.example.org"
            )
        )
        ids["unsubscribe_token"] = preferences.unsubscribe_url(operator, "reminders").rsplit(
            "/", 1
        )[1]
        db.session.commit()
    return ids
