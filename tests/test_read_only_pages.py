"""Pages that only read run without a transaction; everything else keeps its one transaction per
request; the session cookie is sent when it changes, not with every page."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import AuditEvent
from tests.factories import World
from tests.web import Wizard, autosave, login, logout, start, watch_statements


def autocommit_of_statements(app: Flask, send: Callable[[], Any]) -> tuple[list[bool], Any]:
    """For each SQL statement of ``send()``: did the driver's connection run it in autocommit?

    Read from the DBAPI connection itself (what the database sees), not from SQLAlchemy's
    per-checkout options, so a pooled connection left in autocommit would show here.
    """
    modes: list[bool] = []

    def record(connection: sa.Connection, *args: object) -> None:
        driver = connection.connection.dbapi_connection
        if isinstance(driver, sqlite3.Connection):
            modes.append(driver.isolation_level is None)
        else:
            modes.append(bool(driver.autocommit))  # type: ignore[union-attr]

    return modes, watch_statements(app, record, send)


def test_reading_pages_skip_the_transaction_and_saves_keep_theirs(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    step = f"/assessments/{wizard.assessment_id}/steps/0"

    for path in (step, "/assessments/", f"/assessments/{wizard.assessment_id}/review"):
        modes, response = autocommit_of_statements(app, lambda p=path: client.get(p))
        assert response.status_code == 200, path
        assert modes and all(modes), (path, modes)

    # The connection goes back to the pool in its ordinary mode: the next save is one
    # transaction (its claim, reads and compare-and-set commit or roll back together).
    html = client.get(step).get_data(as_text=True)
    modes, response = autocommit_of_statements(
        app,
        lambda: autosave(
            client, wizard.assessment_id, html, question_id="core.security_lead", value="yes"
        ),
    )
    assert response.status_code == 200
    assert modes and not any(modes), modes

    # A page that is not marked (the PDF download writes its audit row with the file) keeps
    # its transaction too.
    modes, _ = autocommit_of_statements(
        app, lambda: client.get(f"/assessments/{wizard.assessment_id}/export.json")
    )
    assert modes and not any(modes), modes


def test_coordinator_and_admin_reading_pages_skip_the_transaction(
    app: Flask, client: FlaskClient, world: World
) -> None:
    for email, paths in (
        (world.coordinator_x, ["/review/", "/review/dashboard", "/review/tool-requests"]),
        (world.admin, ["/admin/", "/admin/audit"]),
    ):
        login(client, email)
        for path in paths:
            modes, response = autocommit_of_statements(app, lambda p=path: client.get(p))
            assert response.status_code == 200, path
            assert modes and all(modes), (path, modes)
        logout(client)


def test_the_welcome_page_needs_no_database(app: Flask, client: FlaskClient) -> None:
    """Not marked: anonymous visitors and health checks get it while the database is down."""
    modes, response = autocommit_of_statements(app, lambda: client.get("/"))
    assert response.status_code == 200
    assert modes == []


def test_a_denial_on_a_reading_page_is_still_audited(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """The access check writes (and commits) its audit row on a page marked as only reading:
    a regression check for the one write such pages make, not a test of the mechanism."""
    login(client, world.operator_b)
    other = start(client)
    logout(client)
    login(client, world.operator_a)
    assert client.get(f"/assessments/{other}/steps/0").status_code == 404
    with app.app_context():
        denied = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "access.denied")
        ).all()
    assert [(e.object_type, e.object_id) for e in denied] == [("Assessment", str(other))]


def _sets_session_cookie(response: Any) -> bool:
    return any(
        value.startswith("portal_session=") for value in response.headers.getlist("Set-Cookie")
    )


def test_the_session_cookie_is_sent_when_it_changes_not_with_every_page(
    client: FlaskClient, world: World
) -> None:
    assert _sets_session_cookie(login(client, world.operator_a))  # a new session at sign-in
    assert _sets_session_cookie(client.get("/"))  # the first page adds its CSRF token
    for path in ("/", "/assessments/", "/organization/", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not _sets_session_cookie(response), path
    assert _sets_session_cookie(logout(client))  # cleared at sign-out
