"""Admins create jurisdictions and coordinators, and find organizations and operators."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.admin.directory import PAGE_SIZE
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Jurisdiction,
    Organization,
    Ownership,
    Role,
    SizeBand,
    User,
    name_key,
)
from tests.factories import PASSWORD, World
from tests.web import count_queries, login, post_form


def test_admin_creates_jurisdiction_and_coordinator(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    response = post_form(
        client,
        "/admin/jurisdictions/new",
        {"name": "Southeast Ohio", "state": "OH", "counties": "Athens County\nMeigs, Washington"},
    )
    assert response.status_code == 302
    with app.app_context():
        jurisdiction = db.session.scalar(
            sa.select(Jurisdiction).where(Jurisdiction.name == "Southeast Ohio")
        )
        assert jurisdiction is not None
        assert jurisdiction.counties == ["Athens", "Meigs", "Washington"]
        jurisdiction_id = jurisdiction.id
    response = post_form(
        client,
        "/admin/coordinators/new",
        {
            "full_name": "Sam Coord",
            "email": "Sam@SE-Ohio.example.org",
            "password": PASSWORD,
            "jurisdictions": [str(jurisdiction_id)],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "sam@se-ohio.example.org"))
        assert user is not None and user.role is Role.COORDINATOR
        assert [j.name for j in user.jurisdictions] == ["Southeast Ohio"]
    coordinator = app.test_client()
    login(coordinator, "sam@se-ohio.example.org")
    assert "Southeast Ohio" in coordinator.get("/").get_data(as_text=True)


def test_admin_forms_validate(client: FlaskClient, world: World) -> None:
    login(client, world.admin)
    duplicate = post_form(client, "/admin/jurisdictions/new", {"name": "Ohio", "state": "OH"})
    assert "already exists" in duplicate.get_data(as_text=True)
    missing = post_form(
        client,
        "/admin/coordinators/new",
        {"full_name": "No Jurisdiction", "email": "nj@state.example.org", "password": PASSWORD},
    )
    html = missing.get_data(as_text=True)
    assert "Choose at least one jurisdiction." in html
    assert 'value="nj@state.example.org"' in html


def test_operator_cannot_create_coordinators(client: FlaskClient, world: World) -> None:
    login(client, world.operator_a)
    html = client.get("/").get_data(as_text=True)
    from tests.web import csrf_token

    response = client.post(
        "/admin/coordinators/new",
        data={
            "full_name": "Evil",
            "email": "evil@x.example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(html),
        },
    )
    assert response.status_code == 403


def _add_organizations(app: Flask, count: int, state: str, prefix: str) -> None:
    """Organizations with one operator each, written directly (no password hashing per row)."""
    with app.app_context():
        for index in range(count):
            organization = Organization(
                name=f"{prefix} {index:03d}", name_key=name_key(f"{prefix} {index:03d}"),
                state=state, county="Pine", size_band=SizeBand.SMALL,
                ownership=Ownership.PUBLIC,
            )  # fmt: skip
            organization.sectors = ["water"]
            db.session.add(organization)
            db.session.flush()
            db.session.add(
                User(
                    email=f"it{index:03d}@{prefix.lower().replace(' ', '-')}.example.org",
                    full_name=f"IT {index:03d}",
                    password_hash="x",
                    role=Role.OPERATOR,
                    organization_id=organization.id,
                )
            )
        db.session.commit()


def _listed(html: str, section: str) -> list[str]:
    """First-column texts of the table under the heading with id ``section``."""
    soup = BeautifulSoup(html, "html.parser")
    table = soup.find(id=section).find_next("table")  # type: ignore[union-attr]
    return [row.td.get_text(strip=True) for row in table.tbody.find_all("tr") if row.td]  # type: ignore[union-attr]


def test_the_directory_finds_organizations_and_operators_a_page_at_a_time(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """At national size (60,000 of each) the page cannot list everyone: it searches and pages."""
    _add_organizations(app, PAGE_SIZE + 7, "TX", "Lone Star Water")
    _add_organizations(app, 3, "OK", "Red River Water")
    login(client, world.admin)

    first = client.get("/admin/?q=lone+star").get_data(as_text=True)
    names = _listed(first, "organizations")
    assert len(names) == PAGE_SIZE and names[0] == "Lone Star Water 000"
    assert f"Organizations ({PAGE_SIZE + 7})" in first and "Page 1 of 2" in first
    second = client.get("/admin/?q=lone+star&org_page=2").get_data(as_text=True)
    assert _listed(second, "organizations") == [f"Lone Star Water {i:03d}" for i in range(50, 57)]
    beyond = client.get("/admin/?q=lone+star&org_page=99").get_data(as_text=True)
    assert _listed(beyond, "organizations") == _listed(second, "organizations")  # last page

    # Operators by email, by name or by their organization's name; a state narrows both lists.
    by_email = client.get("/admin/?q=it002@red-river").get_data(as_text=True)
    assert _listed(by_email, "operators") == ["it002@red-river-water.example.org"]
    by_organization = client.get("/admin/?q=RED  river&state=OK").get_data(as_text=True)
    assert len(_listed(by_organization, "operators")) == 3
    assert _listed(by_organization, "organizations") == [
        f"Red River Water {i:03d}" for i in range(3)
    ]
    elsewhere = client.get("/admin/?q=red+river&state=TX").get_data(as_text=True)
    assert "No organization matches." in elsewhere and "No operator matches." in elsewhere

    # LIKE wildcards are text, not patterns; a search too long to be real is refused politely.
    assert "No organization matches." in client.get("/admin/?q=%25").get_data(as_text=True)
    refused = client.get("/admin/?q=" + "x" * 201)
    assert refused.status_code == 400
    assert "Field cannot be longer than 200 characters" in refused.get_data(as_text=True)

    # The pager keeps the search (and only the directory's own parameters) in its links.
    crafted = client.get("/admin/?q=lone+star&state=TX&endpoint=x&_method=POST")
    assert crafted.status_code == 200
    following = BeautifulSoup(crafted.get_data(as_text=True), "html.parser").find(
        "a", string="Next organizations"
    )
    assert following is not None
    href = str(following["href"])  # type: ignore[index]
    assert "endpoint" not in href and "_method" not in href
    followed = client.get(href).get_data(as_text=True)
    assert _listed(followed, "organizations") == [f"Lone Star Water {i:03d}" for i in range(50, 57)]
    people = client.get("/admin/?q=lone-star&people_page=2").get_data(as_text=True)
    assert _listed(people, "operators") == [
        f"it{i:03d}@lone-star-water.example.org" for i in range(50, 57)
    ]
    for odd in ("²", "-1", "abc", "9999999", ""):
        odd_page = client.get("/admin/?q=lone+star&org_page=" + odd)
        assert odd_page.status_code == 200, odd
        assert _listed(odd_page.get_data(as_text=True), "organizations")[0] == "Lone Star Water 000"

    # Staff are always listed in full, with their actions.
    staff = _listed(first, "staff")
    assert sorted(staff) == sorted([world.admin, world.coordinator_x, world.coordinator_y])


def test_the_administration_page_costs_the_same_queries_however_many_organizations(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    _add_organizations(app, 5, "TX", "Small Town Water")
    few, response = count_queries(app, lambda: client.get("/admin/"))
    assert response.status_code == 200
    _add_organizations(app, PAGE_SIZE * 2, "TX", "Big State Water")
    many, response = count_queries(app, lambda: client.get("/admin/"))
    assert response.status_code == 200
    assert few == many <= 14, (few, many)  # 12, one for the KEV catalog, one for second factors


NEW_ORGANIZATION = {
    "organization_name": "Cedar  Falls   Water Works",
    "sectors": ["water", "electric"],
    "ownership": "public",
    "size_band": "micro",
    "state": "IA",
    "county": "Black Hawk County",
    "operator_email": "Dana@CedarFalls.example.org",
}


def test_an_admin_adds_an_organization_and_its_first_operator_joins_by_invitation(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """How organizations join when self-registration is off."""
    app.config["ALLOW_SELF_REGISTRATION"] = False
    try:
        login(client, world.admin)
        response = post_form(client, "/admin/organizations/new", NEW_ORGANIZATION)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Cedar Falls Water Works is added" in html
        assert "dana@cedarfalls.example.org" in html
        match = re.search(r"http://localhost(/invitations/[A-Za-z0-9_\-]+)", html)
        assert match, html
        with app.app_context():
            organization = db.session.scalar(
                sa.select(Organization).where(Organization.state == "IA")
            )
            assert organization is not None
            assert organization.name == "Cedar Falls Water Works"
            assert organization.county == "Black Hawk"
            assert organization.sectors == ["water", "electric"]
            assert organization.members == []  # nobody until the invitation is accepted
            created = db.session.scalar(
                sa.select(AuditEvent).where(AuditEvent.action == "admin.organization_created")
            )
            assert created is not None and created.organization_id == organization.id

        operator = app.test_client()
        assert "Join Cedar Falls Water Works" in operator.get(match.group(1)).get_data(as_text=True)
        joined = post_form(
            operator,
            match.group(1),
            {"full_name": "Dana Lee", "password": PASSWORD, "confirm": PASSWORD},
        )
        assert joined.status_code == 302
        assert "Cedar Falls Water Works" in operator.get("/organization/").get_data(as_text=True)
        started = post_form(operator, "/assessments/start", {}, page="/assessments/")
        assert started.status_code == 302 and "/steps/" in started.headers["Location"]
    finally:
        app.config["ALLOW_SELF_REGISTRATION"] = True


def test_adding_an_organization_explains_what_is_wrong_and_creates_nothing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    empty = post_form(client, "/admin/organizations/new", {})
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    for message in (
        "Enter the name of the organization.",
        "Choose at least one sector.",
        "Enter the email address of the person who will answer the assessment.",
    ):
        assert message in text, message  # fmt: skip

    # Same name (any spacing or case) in the same state as Alpha Hospital (OH): refused.
    duplicate = post_form(
        client,
        "/admin/organizations/new",
        {
            **NEW_ORGANIZATION,
            "organization_name": "alpha  hospital sentinel-a",
            "state": "OH",
            "county": "Pike",
        },
    )
    assert duplicate.status_code == 400
    assert "already registered in this state" in duplicate.get_data(as_text=True)

    # The first operator already has an account: refused, and the organization is not kept.
    taken = post_form(
        client, "/admin/organizations/new", {**NEW_ORGANIZATION, "operator_email": world.operator_b}
    )
    assert taken.status_code == 400
    assert "already has an account" in taken.get_data(as_text=True)
    assert 'value="Cedar  Falls   Water Works"' in taken.get_data(as_text=True)  # kept in the form
    with app.app_context():
        assert db.session.scalar(sa.select(Organization).where(Organization.state == "IA")) is None


def test_a_lost_invitation_is_replaced_from_the_directory(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """The link is shown once: a double submit or a lost link must not strand the organization."""
    login(client, world.admin)
    first = post_form(client, "/admin/organizations/new", NEW_ORGANIZATION)
    assert first.status_code == 200
    assert "no-store" in first.headers["Cache-Control"]
    again = post_form(client, "/admin/organizations/new", NEW_ORGANIZATION)
    assert again.status_code == 400
    assert "Invite an operator" in again.get_data(as_text=True)

    listing = client.get("/admin/?q=cedar+falls").get_data(as_text=True)
    invite = BeautifulSoup(listing, "html.parser").select_one('a[href$="/invite"]')
    assert invite is not None
    path = str(invite["href"])  # type: ignore[index]
    taken = post_form(client, path, {"email": world.operator_a})
    assert taken.status_code == 400 and "already has an account" in taken.get_data(as_text=True)
    # The same address again: a new link, and the first one stops working.
    replaced = post_form(client, path, {"email": "dana@cedarfalls.example.org"})
    assert replaced.status_code == 200 and "no-store" in replaced.headers["Cache-Control"]
    old = re.search(r"http://localhost(/invitations/[\w-]+)", first.get_data(as_text=True))
    new = re.search(r"http://localhost(/invitations/[\w-]+)", replaced.get_data(as_text=True))
    assert old and new and old.group(1) != new.group(1)
    operator = app.test_client()
    assert operator.get(old.group(1)).status_code == 404
    joined = post_form(
        operator, new.group(1), {"full_name": "Dana Lee", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert joined.status_code == 302
    assert "Cedar Falls Water Works" in operator.get("/organization/").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.startswith("invitation."))
        ).all()
    assert sorted(actions) == ["invitation.accepted", "invitation.created", "invitation.created"]


def test_only_admins_add_organizations(app: Flask, world: World) -> None:
    for email in (world.operator_a, world.coordinator_x):
        client = app.test_client()
        login(client, email)
        assert client.get("/admin/organizations/new").status_code == 403
        assert client.get(f"/admin/organizations/{world.org_b}/invite").status_code == 403


def test_the_admin_sees_which_catalog_entries_need_checking(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every entry carries the date it was last checked; today nothing is due (the ended 2024
    rural-hospital offer shows as ended, and was checked since), and 180 days after the last
    check every entry is."""
    from portal.admin import routes

    login(client, world.admin)
    monkeypatch.setattr(routes, "_today", lambda: date(2026, 12, 1))
    page = BeautifulSoup(client.get("/admin/catalog").get_data(as_text=True), "html.parser")
    rows = {row.th.code.text: row for row in page.select("tbody tr")}
    assert "Offer ended" in rows["rural_hospital_free_year"].text
    assert "2025-06-30" in rows["rural_hospital_free_year"].text
    assert "checked since; hidden from plans" in rows["rural_hospital_free_year"].text
    assert "Current" in rows["cisa_vuln_scanning"].text
    assert "Information" in rows["cisa_kev_catalog"].text
    assert "Not confirmed: check with the provider" in rows["rural_hospital_free_year"].text
    assert "Every entry was checked in the last 180 days" in page.text
    index = client.get("/admin/").get_data(as_text=True)
    assert "needs checking" not in index and "need checking" not in index

    monkeypatch.setattr(routes, "_today", lambda: date(2027, 7, 1))
    page = BeautifulSoup(client.get("/admin/catalog").get_data(as_text=True), "html.parser")
    assert all("Check again" in row.text for row in page.select("tbody tr"))
    assert f"{len(rows)} entries need checking" in page.text
    first = page.select("tbody tr")[0]
    assert "Not confirmed" in first.text  # the least sure first
    index = client.get("/admin/").get_data(as_text=True)
    assert f"{len(rows)} service catalog entries need checking" in index
