"""Server-side login sessions.

The signed Flask cookie carries only a random token; the row in ``user_sessions`` says whether
that login is still valid. Logging out revokes the row, so a copied cookie stops working; a
password change or deactivation revokes all of a user's rows.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import orm

from portal.client import client_ip
from portal.extensions import db
from portal.models import User, UserSession, utcnow

# Writing last_seen on every request would turn each page view into a write; once a minute is
# enough for an idle timeout measured in hours.
_TOUCH_INTERVAL = timedelta(minutes=1)


def start_session(user: User) -> None:
    """Log ``user`` in with a fresh cookie (no session fixation) and a new server-side row."""
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            token_hash=UserSession.hash_token(token),
            user_id=user.id,
            ip_address=client_ip(),
        )
    )
    user.bind_session_token(token)
    user.last_login_at = utcnow()
    session.permanent = True
    login_user(user)


def current_token() -> str | None:
    """The token of the login this request runs under (None when signed out)."""
    token = current_user.get_id() if current_user and current_user.is_authenticated else None
    return token if isinstance(token, str) else None


def end_session(user: User) -> None:
    token = user.get_id()
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == UserSession.hash_token(token))
            .values(revoked_at=utcnow())
        )
    logout_user()
    session.clear()


def revoke_all_sessions(user: User) -> None:
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def load_user_for_token(token: str) -> User | None:
    """Flask-Login user loader: the token must name a live session of an active user."""
    row = db.session.scalar(
        sa.select(UserSession)
        .where(UserSession.token_hash == UserSession.hash_token(token))
        .options(orm.joinedload(UserSession.user))  # every request: one query, not two
    )
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    config = current_app.config
    if now - row.last_seen_at > config["SESSION_IDLE"]:
        return None
    if now - row.created_at > config["SESSION_MAX_AGE"]:
        return None
    user = row.user
    if not user.is_active:
        return None
    if now - row.last_seen_at > _TOUCH_INTERVAL:
        # On its own connection, so it neither commits nor rolls back the request's work.
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
            )
    user.bind_session_token(token)
    g.login_second_factor_at = row.second_factor_at
    return user


def proved_second_factor() -> bool:
    """Whether this request's login proved a second factor (at sign-in or since)."""
    return g.get("login_second_factor_at") is not None


def expired_login_user() -> User | None:
    """Whose login this browser held, when that login has expired or been revoked.

    Used only to keep a save posted after expiry for that same person; never to act as them.
    """
    token = session.get("_user_id")
    if not isinstance(token, str):
        return None
    row = db.session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == UserSession.hash_token(token))
    )
    return row.user if row is not None and row.user.is_active else None
