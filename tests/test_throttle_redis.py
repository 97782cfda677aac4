"""Sign-in throttling shared through Redis (REDIS_URL set), against the real local Redis."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.auth import throttle
from portal.extensions import db
from portal.models import LoginAttempt
from tests.factories import PASSWORD, World
from tests.web import login


def test_failures_are_counted_in_redis_and_seen_by_another_process(
    app: Flask, client: FlaskClient, world: World, with_redis: Any
) -> None:
    for _ in range(throttle.MAX_PER_ACCOUNT):
        assert login(client, world.operator_a, "wrong password!!").status_code == 200
    assert login(client, world.operator_a, PASSWORD).status_code == 429
    with app.app_context():
        # Nothing in the database: the count lives in Redis, under a keyed hash of the email.
        assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == 0
    keys = [k.decode() for k in with_redis.scan_iter(f"*{app.config['THROTTLE_KEY_PREFIX']}*")]
    assert keys and not any(world.operator_a in k for k in keys)
    # A second app instance (as another gunicorn worker or server would be) sees the block.
    other_app = create_app(dict(app.config))
    try:
        other = other_app.test_client()
        assert login(other, world.operator_a, PASSWORD).status_code == 429
        assert login(other, world.operator_b).status_code == 302  # other accounts unaffected
    finally:
        with other_app.app_context():
            db.engine.dispose()


def test_a_success_clears_the_count_in_redis(
    client: FlaskClient, world: World, with_redis: Any
) -> None:
    for _ in range(throttle.MAX_PER_ACCOUNT - 1):
        login(client, world.operator_a, "wrong password!!")
    assert login(client, world.operator_a).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    for _ in range(throttle.MAX_PER_ACCOUNT - 1):
        login(client, world.operator_a, "wrong password!!")
    assert login(client, world.operator_a).status_code == 302


def test_unreachable_redis_falls_back_to_the_database(
    app: Flask, client: FlaskClient, world: World, with_redis: Any
) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:6390/0"  # nothing listens there
    app.extensions.pop("portal.redis", None)  # (the client is made once per app)
    for _ in range(throttle.MAX_PER_ACCOUNT):
        assert login(client, world.operator_a, "wrong password!!").status_code == 200
    assert login(client, world.operator_a, PASSWORD).status_code == 429
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) >= throttle.MAX_PER_ACCOUNT
        )


def _token(client: FlaskClient) -> str:
    from tests.web import csrf_token

    return csrf_token(client.get("/").get_data(as_text=True))


def test_a_success_does_not_reset_the_address_count_in_redis(
    client: FlaskClient, world: World, with_redis: Any
) -> None:
    for index in range(throttle.MAX_PER_ADDRESS - 1):
        login(client, f"spray{index}@example.org", "password guess")
    assert login(client, world.operator_a).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, "spray-last@example.org", "password guess")
    assert login(client, world.operator_b, PASSWORD).status_code == 429


def test_parallel_guesses_cannot_slip_past_the_account_limit_in_redis(
    app: Flask, world: World, with_redis: Any
) -> None:
    from tests.web import parallel_guesses

    statuses = parallel_guesses(app, [world.operator_a] * 12)
    assert statuses.count(200) == throttle.MAX_PER_ACCOUNT, statuses
    assert statuses.count(429) == 12 - throttle.MAX_PER_ACCOUNT, statuses


def test_parallel_guesses_at_many_accounts_cannot_slip_past_the_address_limit_in_redis(
    app: Flask, world: World, with_redis: Any
) -> None:
    """A password spray from one address: 40 guesses at 40 accounts sent at once; no more than
    the address limit reach the password check."""
    from tests.web import parallel_guesses

    count = throttle.MAX_PER_ADDRESS + 10
    statuses = parallel_guesses(app, [f"spray{index}@example.org" for index in range(count)])
    assert statuses.count(200) == throttle.MAX_PER_ADDRESS, statuses
    assert statuses.count(429) == 10, statuses


def test_successful_sign_ins_do_not_fill_the_address_count_in_redis(
    client: FlaskClient, world: World, with_redis: Any
) -> None:
    """An office behind one address: more sign-ins than the address limit, all right."""
    for _ in range(throttle.MAX_PER_ADDRESS + 2):
        assert login(client, world.operator_a).status_code == 302
        client.post("/logout", data={"csrf_token": _token(client)})
