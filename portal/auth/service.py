"""Account operations used by the auth, organization and admin views and by the CLI."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.models import (
    Invitation,
    Jurisdiction,
    Organization,
    Ownership,
    Role,
    SizeBand,
    User,
    name_key,
    normalise_county,
    utcnow,
)

INVITATION_LIFETIME = timedelta(days=7)


class AccountError(ValueError):
    """A request that cannot be carried out, with a message for the person and the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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


def register_organization(org: NewOrganization, full_name: str, email: str, password: str) -> User:
    """Create an organization and its first operator (flushed, not committed)."""
    if email_taken(email):
        raise AccountError(
            "An account with this email already exists. Sign in instead, or ask a colleague "
            "to invite you.",
            field="email",
        )
    password_hash = hash_password(password)  # slow on purpose: before any row is written
    organization = create_organization(
        org,
        duplicate_message="An organization with this name is already registered in this state. "
        "Ask its operator to invite you instead of registering again.",
    )
    user = User(
        email=normalise_email(email),
        full_name=full_name,
        password_hash=password_hash,
        role=Role.OPERATOR,
        organization=organization,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_organization(org: NewOrganization, duplicate_message: str) -> Organization:
    """Create an organization with no users yet (flushed, not committed); one name per state."""
    key = name_key(org.name)
    duplicate = db.session.scalar(
        sa.select(Organization.id).where(
            Organization.state == org.state, Organization.name_key == key
        )
    )
    if duplicate is not None:
        raise AccountError(duplicate_message, field="organization_name")
    organization = Organization(
        name=" ".join(org.name.split()),
        name_key=key,
        state=org.state,
        county=normalise_county(org.county),
        ownership=Ownership(org.ownership),
        size_band=SizeBand(org.size_band),
    )
    organization.sectors = list(org.sectors)
    db.session.add(organization)
    db.session.flush()
    return organization


def create_invitation(organization: Organization, email: str, invited_by: User) -> str:
    """Create a single-use invitation and return its secret token (shown once to the inviter)."""
    if email_taken(email):
        raise AccountError("This person already has an account.", field="email")
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
    db.session.add(
        Invitation(
            organization=organization,
            email=normalise_email(email),
            token_hash=_hash(token),
            invited_by=invited_by,
            expires_at=utcnow() + INVITATION_LIFETIME,
        )
    )
    db.session.flush()
    return token


def find_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == _hash(token))
    )
    if invitation is None or not invitation.is_usable(utcnow()):
        return None
    return invitation


def accept_invitation(invitation: Invitation, full_name: str, password: str) -> User:
    if email_taken(invitation.email):
        raise AccountError("This invitation has already been used. Sign in instead.")
    user = User(
        email=invitation.email,
        full_name=full_name,
        password_hash=hash_password(password),
        role=Role.OPERATOR,
        organization_id=invitation.organization_id,
    )
    invitation.accepted_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def create_staff_user(
    role: Role,
    full_name: str,
    email: str,
    password: str,
    jurisdictions: list[Jurisdiction] | None = None,
) -> User:
    """Create a coordinator (with jurisdictions) or an admin."""
    if role is Role.OPERATOR:
        raise AccountError("Operators join through registration or an invitation.")
    if email_taken(email):
        raise AccountError("An account with this email already exists.", field="email")
    if role is Role.COORDINATOR and not jurisdictions:
        raise AccountError("Choose at least one jurisdiction.", field="jurisdictions")
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


def _hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()
