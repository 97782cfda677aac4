"""Sign-in throttling, shared by every app process: in Redis when ``REDIS_URL`` is set, else in
the database.

Rules: at most :data:`MAX_PER_ACCOUNT` failed attempts per email address and
:data:`MAX_PER_ADDRESS` per client address in :data:`WINDOW` (a moving window); a successful
sign-in clears the account's count (not the address's); past the limit, sign-in is refused for
the rest of the window — with the same message whether or not the account exists.

The account count is a gate, not a check: :func:`admit` counts the attempt *before* the
password is verified and refuses it if that takes the account past the limit, atomically, so
guesses sent in parallel cannot all slip past a count that none of them has raised yet.
:func:`settle` then records the outcome. (The address count is checked, then raised on
failure: counting successes there would lock out an office of colleagues signing in behind one
address; the race it leaves is bounded by the per-account gate.)

The Redis store uses the ``limits`` library (the one behind Flask-Limiter) and its moving-window
strategy, whose ``hit`` is one atomic Lua script. If Redis cannot be reached, the database store
takes over for that request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from portal.extensions import db
from portal.models import LoginAttempt, utcnow

log = logging.getLogger(__name__)
_EXTENSION_KEY = "portal.throttle"
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 30
MESSAGE = (
    "Too many sign-in attempts. For your security, wait 15 minutes and try again, or ask "
    "your administrator to help."
)


def email_key(email: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt that was admitted; :func:`settle` records how it ended."""

    email: str
    ip_address: str
    row_id: int | None  # the database store's row; None when counted in Redis


def _failures_since(
    connection: sa.Connection,
    column: orm.InstrumentedAttribute[str],
    value: str,
    *,
    reset_by_success: bool = True,
) -> int:
    """Failures within the window (and, for an account, after its last success)."""
    since = utcnow() - WINDOW
    last_success = (
        sa.select(sa.func.max(LoginAttempt.at))
        .where(column == value, LoginAttempt.succeeded.is_(True), LoginAttempt.at >= since)
        .scalar_subquery()
    )
    conditions = [column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since]
    if reset_by_success:
        conditions.append(sa.or_(last_success.is_(None), LoginAttempt.at > last_success))
    return connection.scalar(sa.select(sa.func.count(LoginAttempt.id)).where(*conditions)) or 0


def admit(email: str, ip_address: str) -> Attempt | None:
    """Count this attempt and say whether it may go on to the password check (None: refused)."""
    limiter = _redis_limiter()
    if limiter is not None:
        try:
            strategy, per_account, per_address, prefix = limiter
            if not strategy.test(per_address, prefix, "address", ip_address):
                return None
            # hit() adds the attempt only if it fits under the limit, in one atomic step.
            if not strategy.hit(per_account, prefix, "account", email_key(email)):
                return None
            return Attempt(email, ip_address, None)
        except _redis_errors() as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    return _admit_in_database(email, ip_address)


def _admit_in_database(email: str, ip_address: str) -> Attempt | None:
    # The attempt is written and committed on its own connection first (it must count even if
    # the request fails later), then counted. Of N parallel attempts the k-th to commit counts
    # at least k rows, so no more than the limit are ever admitted.
    key = email_key(email)
    with db.engine.begin() as connection:
        row_id = connection.scalar(
            sa.insert(LoginAttempt)
            .values(email_key=key, ip_address=ip_address, succeeded=False, at=utcnow())
            .returning(LoginAttempt.id)
        )
    with db.engine.begin() as connection:
        refused = (
            _failures_since(connection, LoginAttempt.email_key, key) > MAX_PER_ACCOUNT
            # A success does not reset an address: else one valid account would let an
            # attacker reset the per-address limit every 29 guesses at other accounts.
            or _failures_since(
                connection, LoginAttempt.ip_address, ip_address, reset_by_success=False
            )
            > MAX_PER_ADDRESS
        )
        if refused:
            # A refused attempt does not count (as in Redis): the window ends on time for the
            # account's owner however long someone keeps guessing.
            connection.execute(sa.delete(LoginAttempt).where(LoginAttempt.id == row_id))
            return None
    return Attempt(email, ip_address, row_id)


def settle(attempt: Attempt, succeeded: bool) -> None:
    """Record how an admitted attempt ended, within the request's transaction."""
    limiter = _redis_limiter() if attempt.row_id is None else None
    if limiter is not None:
        try:
            strategy, per_account, per_address, prefix = limiter
            if succeeded:
                strategy.clear(per_account, prefix, "account", email_key(attempt.email))
            else:
                strategy.hit(per_address, prefix, "address", attempt.ip_address)
            return
        except _redis_errors() as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    if attempt.row_id is None:
        # Admitted by Redis, which then went away: keep the outcome in the database.
        db.session.add(
            LoginAttempt(
                email_key=email_key(attempt.email),
                ip_address=attempt.ip_address,
                succeeded=succeeded,
            )
        )
    elif succeeded:
        db.session.execute(
            sa.update(LoginAttempt).where(LoginAttempt.id == attempt.row_id).values(succeeded=True)
        )
    if not succeeded:
        # Old rows are useless for throttling; drop them now and then (cheap, indexed on `at`).
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < utcnow() - 2 * WINDOW))


def _redis_limiter() -> tuple[Any, Any, Any, str] | None:
    """(strategy, per-account limit, per-address limit, key prefix), or None without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    cached = current_app.extensions.get(_EXTENSION_KEY)
    if cached is None:
        from limits import RateLimitItemPerMinute
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        minutes = int(WINDOW.total_seconds() // 60)
        storage = storage_from_string(url, socket_connect_timeout=1, socket_timeout=2)
        cached = (
            MovingWindowRateLimiter(storage),
            RateLimitItemPerMinute(MAX_PER_ACCOUNT, minutes),
            RateLimitItemPerMinute(MAX_PER_ADDRESS, minutes),
            current_app.config["THROTTLE_KEY_PREFIX"],
        )
        current_app.extensions[_EXTENSION_KEY] = cached
    return cached


def _redis_errors() -> tuple[type[Exception], ...]:
    from limits.errors import StorageError
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, StorageError)
