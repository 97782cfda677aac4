"""Admins create jurisdictions and coordinators."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Jurisdiction, Role, User
from tests.conftest import PASSWORD, World, login, post_form


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
    from tests.conftest import csrf_token

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
