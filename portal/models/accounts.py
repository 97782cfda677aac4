"""People, their logins, and invitations."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from portal.models.organizations import Jurisdiction, Organization


class Role(enum.StrEnum):
    OPERATOR = "operator"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


coordinator_jurisdictions = sa.Table(
    "coordinator_jurisdictions",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "jurisdiction_id",
        sa.ForeignKey("jurisdictions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class User(Base):
    __tablename__ = "users"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    email: orm.Mapped[str] = orm.mapped_column(sa.String(254), unique=True)
    full_name: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    password_hash: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    role: orm.Mapped[Role] = orm.mapped_column(str_enum(Role, "role"))
    organization_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    is_active: orm.Mapped[bool] = orm.mapped_column(default=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    last_login_at: orm.Mapped[datetime | None]
    password_changed_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    # When the person proved they read mail at ``email`` (a confirmation, an invitation or a
    # set-password link followed); None until then.
    email_confirmed_at: orm.Mapped[datetime | None]
    # Second-factor codes or keys refused in a row after the right password
    # (portal/auth/second_factor.py: counted).
    second_factor_failures: orm.Mapped[int] = orm.mapped_column(default=0, server_default="0")
    # A random handle that names this person in one-click unsubscribe links (instead of the
    # user id); made with the account.
    mail_key: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(32), unique=True, default=lambda: secrets.token_hex(16)
    )
    # The language this person reads the portal and their mail in ("en", "es"); None: not
    # chosen yet (their organization's language, else the browser's, portal/i18n.py).
    language: orm.Mapped[str | None] = orm.mapped_column(sa.String(8), default=None)

    organization: orm.Mapped[Organization | None] = orm.relationship(back_populates="members")
    if TYPE_CHECKING:  # a column property over organizations, set in portal/models/__init__.py
        organization_requires_second_factor: bool | None
    jurisdictions: orm.Mapped[list[Jurisdiction]] = orm.relationship(
        # Loaded when used (coordinators' scope), not with every user on every request.
        secondary=coordinator_jurisdictions
    )

    __table_args__ = (
        # An operator belongs to exactly one organization; nobody else belongs to one.
        sa.CheckConstraint(
            "(role = 'operator') = (organization_id IS NOT NULL)", name="operator_has_org"
        ),
    )

    # --- Flask-Login protocol -------------------------------------------------------------
    # The id Flask-Login keeps in the cookie is the per-login session token, not the user id,
    # so that logging out or changing the password revokes exactly the sessions it should.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.__dict__.get("_session_token")

    def bind_session_token(self, token: str) -> None:
        """Remember which login this instance was loaded for (not a column)."""
        self.__dict__["_session_token"] = token

    # --- role helpers -----------------------------------------------------------------------
    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class UserSession(Base):
    """A server-side record of one login; the cookie only carries a random token for it."""

    __tablename__ = "user_sessions"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    last_seen_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    ip_address: orm.Mapped[str | None] = orm.mapped_column(sa.String(45))
    revoked_at: orm.Mapped[datetime | None]
    # When this login last proved a second factor (at sign-in, or again for a step-up).
    second_factor_at: orm.Mapped[datetime | None]
    user_agent: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))  # the browser's own

    user: orm.Mapped[User] = orm.relationship()

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class SecondFactor(Base):
    """A person's second factor: an authenticator app (TOTP) or a passkey/security key.

    A TOTP factor's shared secret is stored encrypted with a key from the configuration
    (portal/auth/second_factor.py), never in the clear; it counts once ``confirmed_at`` is set
    (a code from the app was typed back). ``last_step`` is the time step of the last code
    accepted: a code is taken once."""

    __tablename__ = "second_factors"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # "totp" or "webauthn"
    name: orm.Mapped[str] = orm.mapped_column(sa.String(60))
    secret: orm.Mapped[bytes | None] = orm.mapped_column(sa.LargeBinary)
    last_step: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    # WebAuthn: the credential's id, public key (COSE) and signature counter.
    credential_id: orm.Mapped[bytes | None] = orm.mapped_column(sa.LargeBinary(1024), unique=True)
    public_key: orm.Mapped[bytes | None] = orm.mapped_column(sa.LargeBinary)
    sign_count: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    confirmed_at: orm.Mapped[datetime | None]
    last_used_at: orm.Mapped[datetime | None]


class UsedChallenge(Base):
    """A WebAuthn challenge already answered: the browser's session is a signed cookie, so a
    copy of an earlier one would offer the same challenge again; this table refuses it."""

    __tablename__ = "used_challenges"

    challenge_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    used_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, index=True)


class RecoveryCode(Base):
    """A single-use code for signing in without the second factor (shown once, kept hashed)."""

    __tablename__ = "recovery_codes"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    used_at: orm.Mapped[datetime | None]


def hash_token(token: str) -> str:
    """What is stored of a secret sent by mail (an invitation, a reset link …): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


INVITATION_LIFETIME = timedelta(days=7)


class Invitation(Base):
    """An invitation for a colleague to join an organization (operators) — single use."""

    __tablename__ = "invitations"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    organization_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: orm.Mapped[str] = orm.mapped_column(sa.String(254))
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    invited_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    expires_at: orm.Mapped[datetime]
    accepted_at: orm.Mapped[datetime | None]
    revoked_at: orm.Mapped[datetime | None]

    organization: orm.Mapped[Organization] = orm.relationship()
    invited_by: orm.Mapped[User | None] = orm.relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class TokenPurpose(enum.StrEnum):
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a password
    SET_PASSWORD = "set_password"  # noqa: S105 - a new coordinator chooses a first one
    CONFIRM_EMAIL = "confirm_email"
    CHANGE_EMAIL = "change_email"


# How long each kind of link works, counted from when its message is sent (the secret in it is
# made at that moment: portal/mail/outbox.py).
TOKEN_LIFETIMES = {
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.SET_PASSWORD: timedelta(days=7),
    TokenPurpose.CONFIRM_EMAIL: timedelta(days=7),
    TokenPurpose.CHANGE_EMAIL: timedelta(days=1),
}


class AccountToken(Base):
    """A single-use secret sent by mail (reset, set password, confirm or change an address).

    Only its SHA-256 is stored. It is void once used, once expired, and — for the password
    tokens — once the password changes in any other way after it was issued.
    """

    __tablename__ = "account_tokens"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: orm.Mapped[TokenPurpose] = orm.mapped_column(str_enum(TokenPurpose, "token_purpose"))
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    new_email: orm.Mapped[str | None] = orm.mapped_column(sa.String(254))
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    expires_at: orm.Mapped[datetime]
    used_at: orm.Mapped[datetime | None]

    user: orm.Mapped[User] = orm.relationship()


class LoginAttempt(Base):
    """One sign-in attempt, kept briefly for throttling (shared by every worker via the DB).

    The email is stored only as a keyed hash: the table answers "how many failures for this
    address lately", not "who tried to sign in".
    """

    __tablename__ = "login_attempts"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    email_key: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    ip_address: orm.Mapped[str] = orm.mapped_column(sa.String(45))
    # What was attempted (sign_in, register, …): each action is counted on its own.
    purpose: orm.Mapped[str] = orm.mapped_column(
        sa.String(20), default="sign_in", server_default="sign_in"
    )
    succeeded: orm.Mapped[bool] = orm.mapped_column(default=False)
    at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, index=True)

    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email_key", "at"),
        sa.Index("ix_login_attempts_ip_at", "ip_address", "at"),
    )
