"""Sign-in throttling, shared by every app process: in Redis when ``REDIS_URL`` is set, else in
the database.

Rules: at most :data:`MAX_PER_ACCOUNT` failed attempts per email address and
:data:`MAX_PER_ADDRESS` per client address in :data:`WINDOW` (a moving window); a successful
sign-in clears both counts; past the limit, sign-in is refused for the rest of the window — with
the same message whether or not the account exists.

The Redis store uses the ``limits`` library (the one behind Flask-Limiter) and its moving-window
strategy. If Redis cannot be reached, the database store takes over for that request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
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


def _failures_since(
    column: orm.InstrumentedAttribute[str], value: str, *, reset_by_success: bool = True
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
    return db.session.scalar(sa.select(sa.func.count(LoginAttempt.id)).where(*conditions)) or 0


def is_blocked(email: str, ip_address: str) -> bool:
    limiter = _redis_limiter()
    if limiter is not None:
        try:
            strategy, per_account, per_address, prefix = limiter
            return not (
                strategy.test(per_account, prefix, "account", email_key(email))
                and strategy.test(per_address, prefix, "address", ip_address)
            )
        except _redis_errors() as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    return (
        _failures_since(LoginAttempt.email_key, email_key(email)) >= MAX_PER_ACCOUNT
        # A success does not reset an address: else one valid account would let an attacker
        # reset the per-address limit every 29 guesses at other accounts.
        or _failures_since(LoginAttempt.ip_address, ip_address, reset_by_success=False)
        >= MAX_PER_ADDRESS
    )


def record(email: str, ip_address: str, succeeded: bool) -> None:
    limiter = _redis_limiter()
    if limiter is not None:
        try:
            strategy, per_account, per_address, prefix = limiter
            account = (prefix, "account", email_key(email))
            address = (prefix, "address", ip_address)
            if succeeded:
                strategy.clear(per_account, *account)  # (the address count stays: see above)
            else:
                strategy.hit(per_account, *account)
                strategy.hit(per_address, *address)
            return
        except _redis_errors() as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    db.session.add(
        LoginAttempt(email_key=email_key(email), ip_address=ip_address, succeeded=succeeded)
    )
    # Old rows are useless for throttling; drop them now and then (cheap, indexed on `at`).
    if not succeeded:
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
