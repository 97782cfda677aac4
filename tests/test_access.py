"""Who may see what: roles, tenants and the one access helper."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import access
from portal.extensions import db
from portal.models import AuditEvent, Invitation, Organization, User
from tests.factories import World
from tests.web import login, post_form


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    return user


def test_get_or_404_follows_tenancy(app: Flask, world: World) -> None:
    with app.test_request_context():
        org_a = db.session.get(Organization, world.org_a)
        assert access.get_or_404(Organization, world.org_a, _user(world.operator_a)) is org_a
        assert access.get_or_404(Organization, world.org_a, _user(world.coordinator_x)) is org_a
        assert access.get_or_404(Organization, world.org_a, _user(world.admin)) is org_a
        for outsider in (world.operator_b, world.coordinator_y):
            with pytest.raises(Exception, match="404"):
                access.get_or_404(Organization, world.org_a, _user(outsider))
        with pytest.raises(Exception, match="404"):
            access.get_or_404(Organization, 999999, _user(world.admin))
        denied = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "access.denied")
        ).all()
        assert len(denied) == 2


def test_coordinator_scope_by_state_and_county(app: Flask, world: World) -> None:
    with app.app_context():
        x_orgs = db.session.scalars(access.visible_organizations(_user(world.coordinator_x))).all()
        y_orgs = db.session.scalars(access.visible_organizations(_user(world.coordinator_y))).all()
        assert [o.id for o in x_orgs] == [world.org_a]
        assert [o.id for o in y_orgs] == [world.org_b]
        assert len(db.session.scalars(access.visible_organizations(_user(world.admin))).all()) == 2


def test_other_tenants_invitation_answers_404(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_b)
    post_form(
        client,
        "/organization/invitations",
        {"email": "bravo2@bravo.example.org"},
        page="/organization/",
    )
    with app.app_context():
        invitation_id = db.session.scalar(sa.select(Invitation.id))
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, world.operator_a)
    response = post_form(
        client, f"/organization/invitations/{invitation_id}/revoke", {}, page="/organization/"
    )
    assert response.status_code == 404
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.revoked_at is None


def _token(client: FlaskClient) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("who", "visible", "hidden"),
    [
        ("operator_a", ["My organization"], ["Administration"]),
        ("coordinator_x", ["Your jurisdiction"], ["My organization", "Administration"]),
        ("admin", ["Administration"], ["My organization"]),
    ],
)
def test_navigation_follows_role(
    client: FlaskClient, world: World, who: str, visible: list[str], hidden: list[str]
) -> None:
    login(client, getattr(world, who))
    html = client.get("/").get_data(as_text=True)
    for text in visible:
        assert text in html
    for text in hidden:
        assert text not in html


def test_anonymous_navigation(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Register your organization" in html and "Sign out" not in html


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (None, "/organization/", 302),
        (None, "/admin/", 302),
        ("operator_a", "/admin/", 403),
        ("coordinator_x", "/admin/", 403),
        ("coordinator_x", "/organization/", 403),
        ("admin", "/admin/", 200),
        ("operator_a", "/organization/", 200),
    ],
)
def test_role_gates(
    client: FlaskClient, world: World, who: str | None, path: str, status: int
) -> None:
    if who:
        login(client, getattr(world, who))
    assert client.get(path).status_code == status


def test_coordinator_home_counts_only_own_jurisdiction(client: FlaskClient, world: World) -> None:
    login(client, world.coordinator_y)
    html = client.get("/").get_data(as_text=True)
    assert "Lake County, Indiana" in html
    assert "1 registered organization." in html
