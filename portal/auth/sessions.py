"""Server-side login sessions.

The signed Flask cookie carries only a random token; the row in ``user_sessions`` says whether
that login is still valid. Logging out revokes the row, so a copied cookie stops working; a
password change or deactivation revokes all of a user's rows.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import orm

from portal.client import client_ip
from portal.extensions import db
from portal.models import User, UserSession, utcnow

# Writing last_seen on every request would turn each page view into a write; once a minute is
# enough for an idle timeout measured in hours.
_TOUCH_INTERVAL = timedelta(minutes=1)


# At most this many logins at once per person: a new one ends the longest idle beyond it.
MAX_SESSIONS = 10


def start_session(user: User) -> None:
    """Log ``user`` in with a fresh cookie (no session fixation) and a new server-side row."""
    session.clear()
    token = secrets.token_urlsafe(32)
    _end_beyond_limit(user)
    db.session.add(
        UserSession(
            token_hash=UserSession.hash_token(token),
            user_id=user.id,
            ip_address=client_ip(),
            user_agent=(request.user_agent.string or "")[:200] or None,
        )
    )
    user.bind_session_token(token)
    user.last_login_at = utcnow()
    session.permanent = True
    login_user(user)


def _end_beyond_limit(user: User) -> None:
    live = active_sessions(user)
    for row in live[MAX_SESSIONS - 1 :]:  # the new one makes MAX_SESSIONS
        row.revoked_at = utcnow()


def active_sessions(user: User) -> list[UserSession]:
    """``user``'s logins that still work, the most recently used first."""
    now = utcnow()
    config = current_app.config
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > now - config["SESSION_IDLE"],
                UserSession.created_at > now - config["SESSION_MAX_AGE"],
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def is_current(row: UserSession) -> bool:
    token = current_token()
    return token is not None and row.token_hash == UserSession.hash_token(token)


def end_one(user: User, session_id: int) -> bool:
    """End one of ``user``'s own logins (not this one); False when it is not theirs."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or is_current(row) or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def end_all_but_this(user: User) -> int:
    """End every other login of ``user``; how many."""
    ended = 0
    for row in active_sessions(user):
        if not is_current(row):
            row.revoked_at = utcnow()
            ended += 1
    return ended


def browser_label(user_agent: str | None) -> str:
    """A browser and system a person recognises ("Firefox on Windows"), from its User-Agent."""
    text = user_agent or ""
    browser = next(
        (name for token, name in _BROWSERS if token in text),
        _("A browser") if text else _("Unknown browser"),
    )
    system = next((name for token, name in _SYSTEMS if token in text), "")
    return _("%(browser)s on %(system)s", browser=browser, system=system) if system else browser


# First match wins: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


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
    g.login_started_at = row.created_at
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
