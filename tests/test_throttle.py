"""Sign-in throttling: per account and per address, shared through the database."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import throttle
from portal.extensions import db
from portal.models import AuditEvent, LoginAttempt, utcnow
from tests.factories import PASSWORD, World
from tests.web import login, parallel_guesses


def test_five_failures_block_the_account_even_with_the_right_password(
    app: Flask, client: FlaskClient, world: World
) -> None:
    for _ in range(throttle.MAX_PER_ACCOUNT):
        assert login(client, world.operator_a, "wrong password!!").status_code == 200
    blocked = login(client, world.operator_a, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
    assert "Signed in as" not in client.get("/").get_data(as_text=True)
    # Another account from another client is unaffected.
    other = app.test_client()
    assert login(other, world.operator_b).status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(
                    AuditEvent.action == "auth.login_throttled"
                )
            )
            == 1
        )
        # Stored as a keyed hash, never the address itself.
        keys = db.session.scalars(sa.select(LoginAttempt.email_key)).all()
        assert all(world.operator_a not in k for k in keys)
    # When the window has passed, the right password works again.
    with app.app_context():
        db.session.execute(
            sa.update(LoginAttempt).values(at=utcnow() - throttle.WINDOW - timedelta(minutes=1))
        )
        db.session.commit()
    assert login(client, world.operator_a, PASSWORD).status_code == 302


def test_unknown_accounts_are_throttled_the_same_way(client: FlaskClient, world: World) -> None:
    """No account enumeration: a made-up address gets the same lockout and message."""
    for _ in range(throttle.MAX_PER_ACCOUNT):
        login(client, "nobody@nowhere.example.org", "whatever password")
    response = login(client, "nobody@nowhere.example.org", "whatever password")
    assert response.status_code == 429
    assert str(throttle.MESSAGE) in response.get_data(as_text=True).replace("&#39;", "'")


def test_a_success_resets_the_account_count(app: Flask, client: FlaskClient, world: World) -> None:
    for _ in range(throttle.MAX_PER_ACCOUNT - 1):
        login(client, world.operator_a, "wrong password!!")
    assert login(client, world.operator_a, PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    for _ in range(throttle.MAX_PER_ACCOUNT - 1):
        login(client, world.operator_a, "wrong password!!")
    assert login(client, world.operator_a, PASSWORD).status_code == 302


def test_many_accounts_from_one_address_are_throttled(
    app: Flask, client: FlaskClient, world: World
) -> None:
    for index in range(throttle.MAX_PER_ADDRESS):
        login(client, f"spray{index}@example.org", "password guess")
    assert login(client, world.operator_b, PASSWORD).status_code == 429


def _token(client: FlaskClient) -> str:
    from tests.web import csrf_token

    return csrf_token(client.get("/").get_data(as_text=True))


def test_a_success_does_not_reset_the_address_count(client: FlaskClient, world: World) -> None:
    # An attacker with one valid account must not be able to reset the per-address limit.
    for index in range(throttle.MAX_PER_ADDRESS - 1):
        login(client, f"spray{index}@example.org", "password guess")
    assert login(client, world.operator_a).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, "spray-last@example.org", "password guess")
    assert login(client, world.operator_b, PASSWORD).status_code == 429


def test_parallel_guesses_cannot_slip_past_the_account_limit(app: Flask, world: World) -> None:
    """Each attempt is counted before its password check, so of 12 guesses sent at once no more
    than five reach the check. (In the database a burst may be refused harder than that — every
    attempt counts the others already written — which errs on the safe side; Redis is exact.)"""
    statuses = parallel_guesses(app, [world.operator_a] * 12)
    admitted = statuses.count(200)
    assert admitted <= throttle.MAX_PER_ACCOUNT, statuses
    assert statuses.count(429) == 12 - admitted, statuses
    with app.app_context():
        # Refused attempts are not stored: the window ends on time for the owner.
        assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == admitted
