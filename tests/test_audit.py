"""Audit entries: user-controlled values cannot forge lines; nothing secret is recorded."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal import audit
from portal.extensions import db
from portal.models import AuditEvent
from tests.factories import PASSWORD, World
from tests.web import login


def test_control_characters_cannot_forge_entries(app: Flask) -> None:
    with app.test_request_context():
        event = audit.record(
            "test.event",
            target="evil\n2026-01-01 admin.user_make_admin ok\r",
            nested=["a\u2028b", 5],
            long="x" * 1000,
        )
        assert "\n" not in event.details["target"] and "\r" not in event.details["target"]
        assert event.details["nested"] == ["a b", 5]
        assert len(event.details["long"]) == 200


def test_sign_in_events_hold_no_password_or_token(app: Flask, world: World) -> None:
    client = app.test_client()
    login(client, world.operator_a, "the wrong password")
    login(client, world.operator_a, PASSWORD)
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent)).all()
        text = " ".join(f"{e.action} {e.details} {e.object_id} {e.actor_email}" for e in events)
    assert "auth.login_failed" in text and "auth.login " in text + " "
    assert PASSWORD not in text and "the wrong password" not in text
    assert cookie.value not in text
