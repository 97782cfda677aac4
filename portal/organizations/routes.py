"""The operator's organization: who is in it, and inviting a colleague.

Inviting sends mail to an address someone typed, so it is guarded: the inviter's own address
must be confirmed (when mail is on), invitations are limited per inviter, organization and
recipient (throttle.INVITATIONS), and every address gets the same answer — whether or not it
already has an account (its owner is told by mail instead of invited)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import access, audit, i18n
from portal.auth import second_factor, service, throttle
from portal.auth.decorators import role_required, step_up_required
from portal.auth.forms import ConfirmForm
from portal.config import KNOWN_LANGUAGES, mail_enabled
from portal.exposure import inventory
from portal.extensions import db
from portal.models import Invitation, Organization, OutboxMessage, OutboxStatus, Role, User, utcnow
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
        delivery=invitation_delivery([i.id for i in pending]),
        may_invite=_may_invite(),
        form=form,
        invite_link=invite_link,
        with_factor=second_factor.members_with_factor([m.id for m in members]),
        product_count=len(inventory.items_of(organization.id)),
        exploited_count=len(inventory.matches_for(organization.id)),
    )


@bp.get("/")
@read_only
@role_required(Role.OPERATOR)
def show() -> str:
    organization = access.get_or_404(Organization, current_user.organization_id)
    return _page(organization, InviteForm())


def _may_invite() -> bool:
    """With mail on, only a person whose own address is confirmed may make the portal write to
    someone else (a fresh self-registered account cannot)."""
    return not mail_enabled(current_app.config) or current_user.email_confirmed_at is not None


@dataclass(frozen=True)
class Delivery:
    status: str  # "on its way" | "sent" | "not delivered"
    error: str = ""


def invitation_delivery(invitation_ids: list[int]) -> dict[int, Delivery]:
    """How the latest message of each invitation fared (none: mail is off)."""
    if not invitation_ids:
        return {}
    rows = db.session.execute(
        sa.select(OutboxMessage.invitation_id, OutboxMessage.status, OutboxMessage.last_error)
        .where(OutboxMessage.invitation_id.in_(invitation_ids))
        .order_by(OutboxMessage.id)
    ).all()
    found: dict[int, Delivery] = {}
    for invitation_id, status, error in rows:
        if invitation_id is None:
            continue
        if status is OutboxStatus.SENT:
            found[invitation_id] = Delivery("sent")
        elif status is OutboxStatus.FAILED:
            found[invitation_id] = Delivery("not delivered", error)
        else:
            found[invitation_id] = Delivery("on its way")
    return found


@bp.post("/invitations")
@role_required(Role.OPERATOR)
def invite() -> Response | str | tuple[str, int]:
    organization = access.get_or_404(Organization, current_user.organization_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(organization, form)
    if not _may_invite():
        form.email.errors.append(
            _(
                "Confirm your own email address first: follow the link we sent you (or ask for "
                "a new one at the top of the page). Then you can invite colleagues."
            )
        )
        return _page(organization, form)
    email = service.normalise_email(form.email.data or "")
    full = throttle.take(
        throttle.INVITATIONS,
        {
            "person": str(current_user.id),
            "organization": str(organization.id),
            "recipient": f"{organization.id}:{email}",
            "address": email,
        },
    )
    if full is not None:
        audit.record_for(
            organization,
            "invitation.throttled",
            outcome="denied",
            limit=full,
        )
        db.session.commit()
        form.email.errors.append(str(throttle.INVITATIONS.message))
        return _page(organization, form), 429
    link = service.invite(organization, email, current_user, reveal_existing=False)
    db.session.commit()
    if mail_enabled(current_app.config):
        # The same answer for every address: whether it has an account is its owner's business.
        flash(
            _(
                "We are sending an invitation to %(email)s. They will be added when they accept "
                "it (the link works once, for 7 days). If their mail server refuses it, it shows "
                "below.",
                email=email,
            ),
            "success",
        )
        return redirect(url_for("organizations.show"))
    # Mail is off: the inviter passes the link on (docs/guide.md: Inviting).
    flash(
        _("Invitation created. Send your colleague the link below; it works once, for 7 days."),
        "success",
    )
    response = make_response(_page(organization, InviteForm(formdata=None), invite_link=link))
    response.headers["Cache-Control"] = "private, no-store"  # the link is a secret
    return response


@bp.post("/invitations/<int:invitation_id>/revoke")
@role_required(Role.OPERATOR)
def revoke_invitation(invitation_id: int) -> Response:
    invitation = access.get_or_404(Invitation, invitation_id)
    if service.revoke_invitation(invitation):
        db.session.commit()
        flash(_("Invitation withdrawn."), "info")
    return redirect(url_for("organizations.show"))


@bp.post("/second-factor")
@role_required(Role.OPERATOR)
@step_up_required
def require_second_factor() -> Response:
    """Require a second factor of every operator of the organization, or stop requiring it."""
    organization = access.get_or_404(Organization, current_user.organization_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require = request.form.get("require") == "yes"
        try:
            second_factor.set_organization_requirement(organization, require, current_user)
        except second_factor.SecondFactorError as refused:
            flash(str(refused), "error")
            return redirect(url_for("organizations.show", _anchor="second-factor"))
        db.session.commit()
        flash(
            _("Every operator of your organization now needs a second factor to sign in.")
            if require
            else _("A second factor is now each operator's own choice."),
            "success",
        )
    return redirect(url_for("organizations.show", _anchor="second-factor"))


@bp.post("/language")
@role_required(Role.OPERATOR)
def choose_language() -> Response:
    """The organization's language: its reports' unless the reader picks another at download,
    and the mail of members who chose none."""
    organization = access.get_or_404(Organization, current_user.organization_id)
    form = ConfirmForm()
    language = i18n.offered_code(request.form.get("language"))
    if form.validate_on_submit() and language is not None:
        service.set_organization_language(organization, language)
        db.session.commit()
        flash(
            _(
                "Your organization’s reports and messages are now in %(language)s.",
                language=KNOWN_LANGUAGES[language],
            ),
            "success",
        )
    else:
        flash(_("Choose one of the languages offered."), "error")
    return redirect(url_for("organizations.show", _anchor="language"))
