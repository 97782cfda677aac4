"""Sign-in throttling, stored in the database so that it holds across every worker process.

Rules: at most :data:`MAX_PER_ACCOUNT` failed attempts per email address and
:data:`MAX_PER_ADDRESS` per client address in :data:`WINDOW`; past that, sign-in is refused for
the rest of the window — with the same message whether or not the account exists.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from portal.extensions import db
from portal.models import LoginAttempt, utcnow

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


def _failures_since(column: orm.InstrumentedAttribute[str], value: str) -> int:
    """Failures within the window and after the last success for the same key."""
    since = utcnow() - WINDOW
    last_success = (
        sa.select(sa.func.max(LoginAttempt.at))
        .where(column == value, LoginAttempt.succeeded.is_(True), LoginAttempt.at >= since)
        .scalar_subquery()
    )
    return (
        db.session.scalar(
            sa.select(sa.func.count(LoginAttempt.id)).where(
                column == value,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at >= since,
                sa.or_(last_success.is_(None), LoginAttempt.at > last_success),
            )
        )
        or 0
    )


def is_blocked(email: str, ip_address: str) -> bool:
    return (
        _failures_since(LoginAttempt.email_key, email_key(email)) >= MAX_PER_ACCOUNT
        or _failures_since(LoginAttempt.ip_address, ip_address) >= MAX_PER_ADDRESS
    )


def record(email: str, ip_address: str, succeeded: bool) -> None:
    db.session.add(
        LoginAttempt(email_key=email_key(email), ip_address=ip_address, succeeded=succeeded)
    )
    # Old rows are useless for throttling; drop them now and then (cheap, indexed on `at`).
    if not succeeded:
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < utcnow() - 2 * WINDOW))
