"""Inviting a colleague into the same organization."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import User
from tests.factories import PASSWORD, World
from tests.web import login, post_form


def invite(client: FlaskClient, email: str) -> str:
    response = post_form(
        client, "/organization/invitations", {"email": email}, page="/organization/"
    )
    assert "no-store" in response.headers["Cache-Control"]  # the link is a secret
    html = response.get_data(as_text=True)
    match = re.search(r"(http://localhost/invitations/[A-Za-z0-9_\-]+)", html)
    assert match, html
    return match.group(1).replace("http://localhost", "")


def test_invited_colleague_joins_the_same_organization(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    path = invite(client, "colleague@alpha.example.org")
    colleague = app.test_client()
    page = colleague.get(path).get_data(as_text=True)
    assert "Join Alpha Hospital SENTINEL-A" in page
    response = post_form(
        colleague, path, {"full_name": "Col League", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 302
    assert "Alpha Hospital SENTINEL-A" in colleague.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "colleague@alpha.example.org"))
        assert user is not None and user.organization_id == world.org_a
    # Single use.
    assert app.test_client().get(path).status_code == 404


def test_invitation_form_errors(client: FlaskClient, world: World) -> None:
    login(client, world.operator_a)
    bad = post_form(client, "/organization/invitations", {"email": "nope"}, page="/organization/")
    assert "Enter an email address like" in bad.get_data(as_text=True)
    # An address with an account gets the same answer as any other (no account lookup).
    taken = post_form(
        client, "/organization/invitations", {"email": world.operator_b}, page="/organization/"
    )
    fresh = post_form(
        client, "/organization/invitations", {"email": "nobody@x.example"}, page="/organization/"
    )
    assert taken.status_code == fresh.status_code
    taken_page = taken.get_data(as_text=True)
    assert "already has an account" not in taken_page
    assert "Invitation created" in taken_page and "Invitation created" in fresh.get_data(
        as_text=True
    )


def test_unknown_invitation_token(client: FlaskClient, world: World) -> None:
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "This invitation link does not work" in response.get_data(as_text=True)


def test_withdrawn_invitation_no_longer_works(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    path = invite(client, "late@alpha.example.org")
    page = client.get("/organization/").get_data(as_text=True)
    revoke = re.search(r'action="(/organization/invitations/\d+/revoke)"', page)
    assert revoke
    post_form(client, revoke.group(1), {}, page="/organization/")
    assert app.test_client().get(path).status_code == 404


def test_inviting_again_replaces_the_earlier_link(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    first = invite(client, "twice@alpha.example.org")
    second = invite(client, "twice@alpha.example.org")
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    page = client.get("/organization/").get_data(as_text=True)
    assert page.count("twice@alpha.example.org") == 1
