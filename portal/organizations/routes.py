"""The operator's organization: who is in it, and inviting a colleague."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import access, audit
from portal.auth import service
from portal.auth.decorators import role_required
from portal.config import mail_enabled
from portal.exposure import inventory
from portal.extensions import db
from portal.models import Invitation, Organization, Role, User, utcnow
from portal.organizations.forms import InviteForm
from portal.readonly import read_only

bp = Blueprint("organizations", __name__, url_prefix="/organization")


def _page(organization: Organization, form: InviteForm, invite_link: str | None = None) -> str:
    members = db.session.scalars(
        sa.select(User).where(User.organization_id == organization.id).order_by(User.full_name)
    ).all()
    pending = db.session.scalars(
        sa.select(Invitation)
        .where(
            Invitation.organization_id == organization.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
    ).all()
    return render_template(
        "organizations/show.html",
        organization=organization,
        members=members,
        pending=pending,
        form=form,
        invite_link=invite_link,
        product_count=len(inventory.items_of(organization.id)),
        exploited_count=len(inventory.matches_for(organization.id)),
    )


@bp.get("/")
@read_only
@role_required(Role.OPERATOR)
def show() -> str:
    organization = access.get_or_404(Organization, current_user.organization_id)
    return _page(organization, InviteForm())


@bp.post("/invitations")
@role_required(Role.OPERATOR)
def invite() -> Response | str:
    organization = access.get_or_404(Organization, current_user.organization_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(organization, form)
    email = form.email.data or ""
    try:
        link = service.invite(organization, email, current_user)
    except service.AccountError as error:
        form.email.errors.append(str(error))
        return _page(organization, form)
    db.session.commit()
    if mail_enabled(current_app.config):
        flash(f"Invitation sent to {email}. The link in it works once, for 7 days.", "success")
        return redirect(url_for("organizations.show"))
    # Mail is off: the inviter passes the link on (README: Inviting).
    flash(
        "Invitation created. Send your colleague the link below; it works once, for 7 days.",
        "success",
    )
    response = make_response(_page(organization, InviteForm(formdata=None), invite_link=link))
    response.headers["Cache-Control"] = "private, no-store"  # the link is a secret
    return response


@bp.post("/invitations/<int:invitation_id>/revoke")
@role_required(Role.OPERATOR)
def revoke_invitation(invitation_id: int) -> Response:
    invitation = access.get_or_404(Invitation, invitation_id)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(
            "invitation.revoked",
            object_type="Invitation",
            object_id=invitation.id,
            organization_id=invitation.organization_id,
        )
        db.session.commit()
        flash("Invitation withdrawn.", "info")
    return redirect(url_for("organizations.show"))
