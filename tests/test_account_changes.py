"""Password change, deactivation and role change end the affected logins; the audit viewer."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role, User
from tests.factories import PASSWORD, World
from tests.web import csrf_token, login, post_form

NEW_PASSWORD = "a brand new long password"


def _replay(app: Flask, client: FlaskClient) -> FlaskClient:
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("portal_session", cookie.value, domain=cookie.domain)
    return copy


def test_password_change_signs_out_other_logins(app: Flask, world: World) -> None:
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, world.operator_a)
    login(phone, world.operator_a)
    stolen = _replay(app, phone)
    wrong = post_form(
        laptop,
        "/account/password",
        {"current": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.get_data(as_text=True)
    response = post_form(
        laptop,
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert laptop.get("/organization/").status_code == 200  # this login continues
    assert phone.get("/organization/").status_code == 302  # the other one ended
    assert stolen.get("/organization/").status_code == 302
    assert login(app.test_client(), world.operator_a, PASSWORD).status_code == 200
    assert login(app.test_client(), world.operator_a, NEW_PASSWORD).status_code == 302


def test_deactivation_and_demotion_end_the_users_logins(app: Flask, world: World) -> None:
    coordinator, admin = app.test_client(), app.test_client()
    login(coordinator, world.coordinator_x)
    login(admin, world.admin)
    copied = _replay(app, coordinator)
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == world.coordinator_x))
    html = admin.get("/admin/").get_data(as_text=True)
    admin.post(f"/admin/users/{user_id}/make_admin", data={"csrf_token": csrf_token(html)})
    assert coordinator.get("/review/").status_code == 302  # old login ended
    assert copied.get("/review/").status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None and user.role is Role.ADMIN
    admin.post(f"/admin/users/{user_id}/make_coordinator", data={"csrf_token": csrf_token(html)})
    login(coordinator, world.coordinator_x)
    assert coordinator.get("/review/").status_code == 200
    admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": csrf_token(html)})
    assert coordinator.get("/review/").status_code == 302
    assert login(app.test_client(), world.coordinator_x).status_code == 200  # refused
    # Operators' roles do not change; admins cannot change themselves.
    with app.app_context():
        operator_id = db.session.scalar(sa.select(User.id).where(User.email == world.operator_a))
        admin_id = db.session.scalar(sa.select(User.id).where(User.email == world.admin))
    refused = admin.post(
        f"/admin/users/{operator_id}/make_admin",
        data={"csrf_token": csrf_token(html)},
        follow_redirects=True,
    )
    assert "their role cannot change" in refused.get_data(as_text=True)
    own = admin.post(
        f"/admin/users/{admin_id}/deactivate",
        data={"csrf_token": csrf_token(html)},
        follow_redirects=True,
    )
    assert "You cannot change your own account here" in own.get_data(as_text=True)


def test_audit_log_viewer_filters_and_escapes(app: Flask, world: World) -> None:
    client = app.test_client()
    login(client, "x@state-oh.example.org\n2026-01-01 admin login ok", "nope")  # forged line
    admin = app.test_client()
    login(admin, world.admin)
    page = admin.get("/admin/audit?action=auth.login_failed").get_data(as_text=True)
    assert "auth.login_failed" in page and "auth.login</td>" not in page
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert "auth.login" in everything
    assert admin.get("/admin/audit?outcome=maybe").status_code == 400
