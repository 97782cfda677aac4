"""What an administrator changes: staff accounts, jurisdictions, organizations they add, mail
they send again. Each call checks its rules, writes the rows and the audit row, and flushes;
the view commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit
from portal.auth import second_factor, sessions
from portal.auth import service as accounts
from portal.extensions import db
from portal.mail import outbox
from portal.models import Jurisdiction, Organization, OutboxMessage, OutboxStatus, Role, User

USER_CHANGES = (
    "deactivate",
    "reactivate",
    "make_admin",
    "make_coordinator",
    "end_sessions",
    "reset_second_factor",
)


class AdminRefused(ValueError):
    """The change breaks a rule; the message says which, for the administrator."""


def change_user(user: User, change: str, actor: User) -> None:
    """Deactivate, reactivate or change a staff member's role; their logins end at once."""
    if change not in USER_CHANGES:
        raise AdminRefused(_("Unknown change %(change)s.", change=repr(change)))
    if user.id == actor.id:
        raise AdminRefused(_("You cannot change your own account here; ask another administrator."))
    if change == "reset_second_factor":
        # Someone who lost their phone and codes; who they are was checked outside the portal.
        # Their logins end and they are told by mail (second_factor.reset audits it).
        second_factor.reset(user, by=f"admin {actor.email}")
        return
    if change in ("make_admin", "make_coordinator"):
        if user.role is Role.OPERATOR:
            raise AdminRefused(_("Operators belong to an organization; their role cannot change."))
        if change == "make_coordinator" and not user.jurisdictions:
            raise AdminRefused(
                _("Give the user a jurisdiction first: a coordinator needs at least one.")
            )
        user.role = Role.ADMIN if change == "make_admin" else Role.COORDINATOR
    elif change in ("deactivate", "reactivate"):
        user.is_active = change == "reactivate"
    # Whatever changed, the user's existing logins end: a copied cookie must not keep the old
    # rights (or any rights, once deactivated).
    sessions.revoke_all_sessions(user)
    audit.record(f"admin.user_{change}", object_type="User", object_id=user.id, target=user.email)


def create_jurisdiction(name: str, state: str, counties: list[str]) -> Jurisdiction:
    """A jurisdiction (one per name)."""
    if db.session.scalar(sa.select(Jurisdiction.id).where(Jurisdiction.name == name)):
        raise AdminRefused(_("A jurisdiction with this name already exists."))
    jurisdiction = Jurisdiction(name=name, state=state)
    jurisdiction.counties = counties
    db.session.add(jurisdiction)
    db.session.flush()
    audit.record(
        "admin.jurisdiction_created", object_type="Jurisdiction", object_id=jurisdiction.id
    )
    return jurisdiction


def add_organization(
    new: accounts.NewOrganization, operator_email: str, actor: User, *, duplicate_message: str
) -> tuple[Organization, str | None]:
    """An organization and the invitation of its first operator (its link when mail is off:
    see :func:`portal.auth.service.invite`). Raises ``AccountError`` for a taken name or a
    refused address."""
    organization = accounts.create_organization(new, duplicate_message=duplicate_message)
    invitation_url = accounts.invite(organization, operator_email, actor)
    audit.record_for(organization, "admin.organization_created")
    return organization, invitation_url


def retry_mail(row: OutboxMessage) -> bool:
    """Send a failed message again now; False (nothing done) for any other status."""
    if row.status is not OutboxStatus.FAILED:
        return False
    outbox.retry_now(row)
    audit.record("admin.mail_retried", object_type="OutboxMessage", object_id=row.id)
    return True
