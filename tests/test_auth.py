"""Registration, sign-in and sign-out as a person would do them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import AuditEvent, Organization, User, UserSession
from tests.factories import PASSWORD, REGISTRATION
from tests.web import csrf_token, login, logout, post_form


def register(client: FlaskClient, **changes: object) -> object:
    return post_form(client, "/register", {**REGISTRATION, **changes})


def test_register_creates_organization_and_sign_in_follows(app: Flask, client: FlaskClient) -> None:
    response = register(client, county="pike county")
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign in with <strong>pat@pine-hospital.example.org</strong>" in done
    assert login(client, "pat@pine-hospital.example.org").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Welcome, Pat Operator" in home
    assert "Pine County Memorial Hospital" in home
    with app.app_context():
        org = db.session.scalar(sa.select(Organization))
        assert org is not None
        assert org.county == "Pike"  # normalised
        assert org.county_fips == "39131"  # Pike County, Ohio
        assert org.sectors == ["hospital"]
        user = db.session.scalar(sa.select(User))
        assert user is not None and user.organization_id == org.id
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"organization_name": ""}, "Enter the name of the organization."),
        ({"organization_name": "x" * 201}, "at most 200 characters"),
        ({"sectors": []}, "Choose at least one sector."),
        ({"sectors": ["nuclear"]}, "not a valid choice"),
        ({"state": "ZZ"}, "not a valid choice"),
        # A county the map does not know: refused, with the nearest names (#33).
        ({"county": "Pine"}, "Ohio has no county named “Pine”. Did you mean Pike"),
        ({"county": "Lake Franklin"}, "Ohio has no county named “Lake Franklin”."),
        ({"county": "Harris", "state": "OH"}, "Ohio has no county named “Harris”"),
        ({"email": "not-an-email"}, "Enter an email address like"),
        ({"email": "a" * 250 + "@x.org"}, "at most 254 characters"),
        ({"password": "short", "confirm": "short"}, "Use between 12 and 256"),
        ({"confirm": "something else entirely"}, "The two passwords do not match."),
        ({"full_name": "Pat\x00Operator"}, "invisible control characters"),
    ],
)
def test_register_rejects_bad_input_and_keeps_what_was_typed(
    client: FlaskClient, changes: dict[str, object], message: str
) -> None:
    response = register(client, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message.lower() in html.lower()
    assert "There is a problem" in html
    # What was typed comes back, except passwords.
    if "county" not in changes:
        assert 'value="Pike"' in html
    assert PASSWORD not in html


def _without_token(page: str) -> str:
    """A page without its CSRF token (signed with the time: two fetches differ by it)."""
    return re.sub(r'name="csrf-token" content="[^"]+"', "", page)


def test_register_duplicate_email_and_organization(client: FlaskClient, app: Flask) -> None:
    first = register(client)
    first_page = client.get(first.headers["Location"]).get_data(as_text=True)
    # An address that has an account gets the very same answer (its owner is told by mail):
    # the page tells nobody who has an account.
    again = register(client, organization_name="Another Clinic")
    assert again.status_code == first.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert _without_token(client.get(again.headers["Location"]).get_data(as_text=True)) == (
        _without_token(first_page)
    )
    same_org = register(client, email="other@pine-hospital.example.org")
    assert "already registered in this state" in same_org.get_data(as_text=True)
    assert 'value="other@pine-hospital.example.org"' in same_org.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == 1


def test_login_and_logout(client: FlaskClient, world: object) -> None:
    response = login(client, "a@alpha.example.org")
    assert response.status_code == 302
    assert "Signed in as" in client.get("/").get_data(as_text=True)
    logout(client)
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_login_failure_is_generic_and_audited(
    app: Flask, client: FlaskClient, world: object
) -> None:
    wrong_password = login(client, "a@alpha.example.org", "wrong password here").get_data(
        as_text=True
    )
    unknown_user = login(client, "nobody@alpha.example.org").get_data(as_text=True)
    message = "The email address or password is not right"
    assert message in wrong_password and message in unknown_user
    assert 'value="a@alpha.example.org"' in wrong_password  # email kept
    with app.app_context():
        failures = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).all()
        assert len(failures) == 2
        assert all("wrong password" not in str(e.details) for e in failures)


def test_session_is_renewed_at_login(client: FlaskClient, world: object) -> None:
    client.get("/login")
    before = client.get_cookie("portal_session")
    login(client, "a@alpha.example.org")
    after = client.get_cookie("portal_session")
    assert after is not None
    assert before is None or before.value != after.value


def test_cookie_replayed_after_logout_is_refused(
    app: Flask, client: FlaskClient, world: object
) -> None:
    login(client, "a@alpha.example.org")
    stolen = client.get_cookie("portal_session")
    assert stolen is not None
    logout(client)
    replay = app.test_client()
    replay.set_cookie("portal_session", stolen.value, domain=stolen.domain)
    response = replay.get("/organization/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(UserSession.id)).where(UserSession.revoked_at.is_(None))
            )
            == 0
        )


def test_deactivated_user_is_signed_out(app: Flask, client: FlaskClient, world: object) -> None:
    login(client, "a@alpha.example.org")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "a@alpha.example.org"))
        assert user is not None
        user.is_active = False
        db.session.commit()
    assert client.get("/organization/").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aSet-Cookie:x=y",
    ],
)
def test_next_only_accepts_local_paths(client: FlaskClient, world: object, target: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "a@alpha.example.org", "password": PASSWORD, "csrf_token": csrf_token(html)},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    if target.startswith("/%0d"):
        assert location == "/%0d%0aSet-Cookie:x=y"  # stays a harmless local path
    else:
        assert location == "/"


def test_next_local_path_is_followed(client: FlaskClient, world: object) -> None:
    html = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        query_string={"next": "/organization/"},
        data={"email": "a@alpha.example.org", "password": PASSWORD, "csrf_token": csrf_token(html)},
    )
    assert response.headers["Location"] == "/organization/"


def test_post_without_csrf_token_is_rejected(client: FlaskClient, world: object) -> None:
    response = client.post("/login", data={"email": "a@alpha.example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)
    assert "Signed in as" not in client.get("/").get_data(as_text=True)


def test_logout_requires_csrf(client: FlaskClient, world: object) -> None:
    login(client, "a@alpha.example.org")
    assert client.post("/logout").status_code == 400
    assert "Signed in as" in client.get("/").get_data(as_text=True)
