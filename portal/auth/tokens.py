"""Single-use secrets sent by mail: reset or set a password, confirm or change an address.

The link carries the secret; only its SHA-256 is stored. A token is good once, until it expires,
while its account is active — and a password token only while the password is the one it was
issued against (any later change voids it).

When mail is on, the secret a request makes here is never sent: the outbox stores the message
without it and the sender makes a fresh one for the same row at delivery (with its lifetime
counted from then), so neither the outbox table nor a reset delayed by an outage holds a live or
a dead link. When mail is off, the secret made here is the one shown on screen.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from portal.extensions import db
from portal.models import TOKEN_LIFETIMES, AccountToken, TokenPurpose, User, hash_token, utcnow

LIFETIMES = TOKEN_LIFETIMES
_PASSWORD_PURPOSES = (TokenPurpose.RESET_PASSWORD, TokenPurpose.SET_PASSWORD)


def issue(user: User, purpose: TokenPurpose, new_email: str | None = None) -> AccountToken:
    """A new token row for ``user`` (earlier unused ones of the same purpose stop working); its
    secret is in :func:`secret_of` (shown on screen when mail is off, else made anew when the
    message is sent)."""
    now = utcnow()
    db.session.execute(
        sa.update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=hash_token(token),
        new_email=new_email,
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    row.__dict__["_secret"] = token  # this request's copy only: never stored
    db.session.add(row)
    db.session.flush()
    return row


def secret_of(row: AccountToken) -> str:
    """The secret of a token row issued in this request (for a link shown on screen)."""
    secret: str = row.__dict__["_secret"]
    return secret


def find(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """The live token behind ``token`` for ``purpose``, or None (unknown, used, expired, for a
    deactivated account, or a password token issued before the password last changed)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        sa.select(AccountToken).where(
            AccountToken.token_hash == hash_token(token), AccountToken.purpose == purpose
        )
    )
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    if not row.user.is_active:
        return None
    if purpose in _PASSWORD_PURPOSES and row.user.password_changed_at > row.created_at:
        return None
    return row


def void_all(user: User) -> None:
    """Every unused token of ``user`` stops working: after a password or address change, no
    link sent before it may act on the account (an email-change link from an intruder who was
    signed out by a reset must not carry them back in)."""
    db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def use(row: AccountToken) -> None:
    """Spend the token; a concurrent second use finds it used (the UPDATE decides)."""
    spent = db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise TokenSpent


class TokenSpent(Exception):
    """Someone used this token a moment ago."""
