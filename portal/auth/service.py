"""Account operations used by the auth, organization and admin views and by the CLI."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal import audit
from portal.auth import second_factor, sessions, throttle, tokens
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.config import mail_enabled
from portal.counties import county_fips
from portal.extensions import db
from portal.mail import notices
from portal.mail.compose import SecretLink, link
from portal.models import (
    INVITATION_LIFETIME,
    AccountToken,
    Invitation,
    Jurisdiction,
    Organization,
    Ownership,
    Role,
    SizeBand,
    TokenPurpose,
    User,
    hash_token,
    name_key,
    normalise_county,
    utcnow,
)
from portal.ops.instruments import LOGIN_FAILURES


class AccountError(ValueError):
    """A request that cannot be carried out, with a message for the person and the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SignInThrottled(Exception):
    """Too many recent attempts for this address or account; the message says what to do."""


class SecondFactorNeeded(Exception):
    """The password was right; the person has a second factor and must give a code next (the
    browser is holding the sign-in: second_factor.hold)."""


def authenticate(
    email: str, password: str, address: str, next_path: str | None = None
) -> User | None:
    """The whole sign-in: throttled per address and account, the password checked (on a dummy
    hash for unknown addresses too, so the time taken tells nothing), the session started and
    every outcome audited. The user signed in, or None when refused — for a reason not told
    (no account, wrong password, deactivated, address not yet confirmed). Raises
    :class:`SignInThrottled`, or :class:`SecondFactorNeeded` when the person has a second
    factor (``next_path``: where to go once it is given). The caller commits, whatever the
    outcome."""
    email = normalise_email(email)
    attempt = throttle.admit(email, address)
    if attempt is None:
        audit.record("auth.login_throttled", outcome="denied")
        LOGIN_FAILURES.labels("throttled").inc()
        raise SignInThrottled(str(throttle.MESSAGE))
    user = db.session.scalar(sa.select(User).where(User.email == email))
    password_ok = verify_password(user.password_hash if user else None, password)
    # With mail on, a self-registered account signs in once its address is confirmed: else
    # registering with someone's address and signing in would tell whether it had an account
    # (registration answers the same either way).
    unconfirmed = (
        user is not None
        and user.role is Role.OPERATOR
        and user.email_confirmed_at is None
        and mail_enabled(current_app.config)
    )
    if user is not None and user.is_active and password_ok and not unconfirmed:
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        if second_factor.has_factor(user):
            throttle.settle(attempt, succeeded=True)
            audit.record(
                "auth.password_accepted", object_type="User", object_id=user.id, actor=user
            )
            second_factor.hold(user, next_path)
            raise SecondFactorNeeded()
        sessions.start_session(user)
        throttle.settle(attempt, succeeded=True)
        audit.record("auth.login", object_type="User", object_id=user.id, actor=user)
        return user
    throttle.settle(attempt, succeeded=False)
    LOGIN_FAILURES.labels("password").inc()
    audit.record(
        "auth.login_failed",
        object_type="User",
        object_id=user.id if user else None,
        outcome="denied",
        actor=user,
    )
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> bool:
    return (
        db.session.scalar(sa.select(User.id).where(User.email == normalise_email(email)))
        is not None
    )


@dataclass(frozen=True)
class NewOrganization:
    name: str
    sectors: list[str]
    ownership: str
    size_band: str
    state: str
    county: str
    language: str = "en"  # of its reports and its members' mail (portal/i18n.py)


class AddressTaken(Exception):
    """The address has an account: the page answers as for a new one (see register view)."""

    def __init__(self, user: User) -> None:
        super().__init__("address taken")
        self.user = user


def register_organization(org: NewOrganization, full_name: str, email: str, password: str) -> User:
    """Create an organization and its first operator (flushed, not committed).

    Raises :class:`AddressTaken` — after the same slow password hash a new account costs, so the
    answer takes as long — when the address has an account already."""
    password_hash = hash_password(password)  # slow on purpose: before any row is written
    duplicate = _(
        "An organization with this name is already registered in this state. Ask its operator "
        "to invite you instead of registering again."
    )
    # The name first: organizations' names are no secret, and checking it second would let the
    # answer to a taken name tell whether the address has an account.
    if _name_taken(org):
        raise AccountError(duplicate, field="organization_name")
    existing = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if existing is not None:
        raise AddressTaken(existing)
    organization = create_organization(org, duplicate_message=duplicate)
    user = User(
        email=normalise_email(email),
        full_name=full_name,
        password_hash=password_hash,
        role=Role.OPERATOR,
        organization=organization,
    )
    db.session.add(user)
    db.session.flush()
    audit.record_for(organization, "organization.registered", actor=user)
    return user


def _name_taken(org: NewOrganization) -> bool:
    return (
        db.session.scalar(
            sa.select(Organization.id).where(
                Organization.state == org.state, Organization.name_key == name_key(org.name)
            )
        )
        is not None
    )


def create_organization(org: NewOrganization, duplicate_message: str) -> Organization:
    """Create an organization with no users yet (flushed, not committed); one name per state."""
    if _name_taken(org):
        raise AccountError(duplicate_message, field="organization_name")
    organization = Organization(
        name=" ".join(org.name.split()),
        name_key=name_key(org.name),
        state=org.state,
        county=normalise_county(org.county),
        county_fips=county_fips(org.state, org.county),
        ownership=Ownership(org.ownership),
        size_band=SizeBand(org.size_band),
        language=org.language,
    )
    organization.sectors = list(org.sectors)
    db.session.add(organization)
    db.session.flush()
    return organization


def create_invitation(
    organization: Organization, email: str, invited_by: User, *, reveal_existing: bool = True
) -> tuple[Invitation, str]:
    """Create a single-use invitation; returns it and its secret (shown once to the inviter when
    mail is off). ``reveal_existing=False``: an address with an account is invited all the same
    (the acceptance page refuses it), so the answer tells nobody who has an account."""
    if reveal_existing and email_taken(email):
        raise AccountError(_("This person already has an account."), field="email")
    # Inviting the same person again replaces the earlier link rather than adding another.
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.organization_id == organization.id,
            Invitation.email == normalise_email(email),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization=organization,
        email=normalise_email(email),
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def invite(
    organization: Organization, email: str, invited_by: User, *, reveal_existing: bool = True
) -> str | None:
    """An invitation, mailed to ``email`` when mail is on (None returned: the link is made when
    the message is sent, and exists nowhere else); when mail is off, its link, for the page to
    show once. ``reveal_existing=False`` (operators): an address that has an account gets a
    notice instead of a link, and the inviter the same answer as for any address."""
    invitation, token = create_invitation(
        organization, email, invited_by, reveal_existing=reveal_existing
    )
    existing = db.session.scalar(sa.select(User).where(User.email == invitation.email))
    if existing is not None:
        notices.invitation_to_an_account(existing, organization, invited_by, invitation.id)
    else:
        secret = SecretLink("invitation", invitation.id, "auth.accept_invitation")
        notices.invitation(invitation.email, organization, invited_by, secret, invitation.id)
    audit.record_for(organization, "invitation.created", actor=invited_by)
    if mail_enabled(current_app.config):
        return None
    return link("auth.accept_invitation", token=token)


def add_coordinator(
    full_name: str, email: str, password: str, jurisdictions: list[Jurisdiction]
) -> tuple[User, str | None]:
    """A coordinator, welcomed by mail. Without ``password`` they choose their own through a
    link (returned, for the page to show when mail is off)."""
    user = create_staff_user(
        Role.COORDINATOR, full_name, email, password or secrets.token_urlsafe(32), jurisdictions
    )
    choose_url = None
    secret = None
    if not password:
        row = tokens.issue(user, TokenPurpose.SET_PASSWORD)
        secret = SecretLink("account_token", row.id, "auth.set_password")
        if not mail_enabled(current_app.config):
            choose_url = secret.url(tokens.secret_of(row))
    notices.coordinator_welcome(user, secret)
    audit.record(
        "admin.coordinator_created",
        object_type="User",
        object_id=user.id,
        jurisdictions=[j.id for j in user.jurisdictions],
    )
    return user, choose_url


def find_invitation(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None or not invitation.is_usable(utcnow()):
        return None
    return invitation


def accept_invitation(invitation: Invitation, full_name: str, password: str) -> User:
    if email_taken(invitation.email):
        raise AccountError(_("This invitation has already been used. Sign in instead."))
    user = User(
        email=invitation.email,
        full_name=full_name,
        password_hash=hash_password(password),
        role=Role.OPERATOR,
        organization_id=invitation.organization_id,
    )
    invitation.accepted_at = utcnow()
    user.email_confirmed_at = invitation.accepted_at  # the link came to this address
    db.session.add(user)
    db.session.flush()
    audit.record_for(invitation, "invitation.accepted", actor=user)
    return user


def revoke_invitation(invitation: Invitation) -> bool:
    """Withdraw an invitation not yet used; False (nothing done) when it was used or withdrawn."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return False
    invitation.revoked_at = utcnow()
    audit.record_for(invitation, "invitation.revoked")
    return True


def end_own_session(user: User, session_id: int) -> bool:
    """End one of ``user``'s other logins; False (audited) when it is not theirs."""
    ended = sessions.end_one(user, session_id)
    audit.record(
        "auth.session_ended" if ended else "auth.session_end_refused",
        object_type="UserSession",
        object_id=session_id,
        outcome="ok" if ended else "denied",
    )
    return ended


def end_other_sessions(user: User) -> int:
    ended = sessions.end_all_but_this(user)
    audit.record("auth.sessions_ended", object_type="User", object_id=user.id, count=ended)
    return ended


def sign_out(user: User) -> None:
    """End this session (the others stay), audited."""
    audit.record("auth.logout", object_type="User", object_id=user.id)
    sessions.end_session(user)


def create_staff_user(
    role: Role,
    full_name: str,
    email: str,
    password: str,
    jurisdictions: list[Jurisdiction] | None = None,
) -> User:
    """Create a coordinator (with jurisdictions) or an admin."""
    if role is Role.OPERATOR:
        raise AccountError(_("Operators join through registration or an invitation."))
    if email_taken(email):
        raise AccountError(_("An account with this email already exists."), field="email")
    if role is Role.COORDINATOR and not jurisdictions:
        raise AccountError(_("Choose at least one jurisdiction."), field="jurisdictions")
    user = User(
        email=normalise_email(email),
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        jurisdictions=list(jurisdictions or []),
    )
    db.session.add(user)
    db.session.flush()
    return user


# --- mail-based account flows ------------------------------------------------------------------


def send_email_confirmation(user: User) -> None:
    row = tokens.issue(user, TokenPurpose.CONFIRM_EMAIL)
    notices.confirm_email(user, SecretLink("account_token", row.id, "auth.confirm_email"))


def confirm_email(row: AccountToken) -> User:
    tokens.use(row)
    row.user.email_confirmed_at = utcnow()
    audit.record("auth.email_confirmed", object_type="User", object_id=row.user_id, actor=row.user)
    return row.user


def request_password_reset(email: str) -> None:
    """Send a reset link if an active account has this address; say nothing either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        audit.record("auth.reset_requested", outcome="unknown")
        return
    row = tokens.issue(user, TokenPurpose.RESET_PASSWORD)
    notices.password_reset(user, SecretLink("account_token", row.id, "auth.reset_password"))
    audit.record("auth.reset_requested", object_type="User", object_id=user.id, actor=user)


def tell_owner_of_registration_attempt(user: User) -> None:
    """Someone registered with an address that has an account: mail its owner, and audit it."""
    notices.registration_attempt(user)
    audit.record(
        "organization.registration_existing_address",
        object_type="User",
        object_id=user.id,
        outcome="denied",
    )


def record_refused_reset(email: str, refused_by: str) -> None:
    """Audit a reset that the throttle refused: by which limit ("account" or "address") and for
    which account, if one has the address."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    audit.record(
        "auth.reset_throttled",
        object_type="User" if user else "",
        object_id=user.id if user else None,
        outcome="denied",
        limit=refused_by,
    )


def set_password(user: User, password: str, *, by_token: AccountToken | None = None) -> None:
    """A new password: every login of the user ends, this browser gets a new one, the owner is
    told. ``by_token``: a reset or set-password link (spent here), which also proves the
    address; for a person with a second factor the browser then waits for it
    (second_factor.pending) instead of being signed in."""
    if by_token is not None:
        tokens.use(by_token)
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
    tokens.void_all(user)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    sessions.revoke_all_sessions(user)
    if by_token is not None and second_factor.has_factor(user):
        # A link in a mailbox proves the mailbox, not the person: the second factor is still
        # asked for before the new password signs anyone in.
        second_factor.hold(user, None)
    else:
        sessions.start_session(user)
    purpose = by_token.purpose.value if by_token is not None else "changed"
    audit.record(
        "auth.password_reset" if by_token is not None else "auth.password_changed",
        object_type="User",
        object_id=user.id,
        actor=user,
        how=purpose,
    )
    if by_token is None or by_token.purpose is TokenPurpose.RESET_PASSWORD:
        notices.password_changed(user, by_reset=by_token is not None)


def request_email_change(user: User, new_email: str) -> None:
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("That is already your address."), field="email")
    if email_taken(new_email):
        raise AccountError(_("Another account uses this address."), field="email")
    row = tokens.issue(user, TokenPurpose.CHANGE_EMAIL, new_email=new_email)
    notices.email_change_requested(
        user, new_email, SecretLink("account_token", row.id, "auth.confirm_email_change")
    )
    audit.record("auth.email_change_requested", object_type="User", object_id=user.id, actor=user)


def confirm_email_change(row: AccountToken, *, signed_in_here: bool) -> User:
    """Move the account to the new address. Every login ends; only a browser already signed in
    as this person stays signed in (with a new session) — following the link alone signs nobody
    in."""
    user = row.user
    assert row.new_email is not None
    if email_taken(row.new_email):
        raise AccountError(_("Another account has taken this address meanwhile."))
    tokens.use(row)
    tokens.void_all(user)
    old = user.email
    user.email = row.new_email
    user.email_confirmed_at = utcnow()
    sessions.revoke_all_sessions(user)
    if signed_in_here:
        sessions.start_session(user)
    notices.email_changed(user, old)
    audit.record("auth.email_changed", object_type="User", object_id=user.id, actor=user)
    return user


def set_organization_language(organization: Organization, language: str) -> None:
    """The language of an organization's reports and of its members' mail when they chose
    none (the caller checked that it is offered); audited when it changes."""
    if language != organization.language:
        audit.record_for(
            organization,
            "organization.language_changed",
            before=organization.language,
            after=language,
        )
        organization.language = language
