"""Administration: users, coordinators and jurisdictions; outgoing mail; the catalog's freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import access, questionnaire_versions
from portal.admin import directory
from portal.admin import service as admin_service
from portal.admin.forms import (
    AdminInviteForm,
    AuditFilterForm,
    CoordinatorForm,
    DirectorySearchForm,
    JurisdictionForm,
    OrganizationForm,
)
from portal.auth import second_factor, service
from portal.auth.decorators import role_required, step_up_required
from portal.config import mail_enabled
from portal.exposure import catalog as kev_catalog
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Jurisdiction,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
    utcnow,
)
from portal.questionnaire import freshness
from portal.readonly import read_only

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@read_only
@role_required(Role.ADMIN)
def index() -> tuple[str, int]:
    """Staff and jurisdictions in full; organizations and operators one page of a search."""
    form = DirectorySearchForm(request.args)
    valid = form.validate()
    text, state = (form.q.data or "", form.state.data or "") if valid else ("", "")
    jurisdictions = db.session.scalars(sa.select(Jurisdiction).order_by(Jurisdiction.name)).all()
    staff = directory.staff()
    operators = directory.operators(text, state, _page_number("people_page"))
    return render_template(
        "admin/index.html",
        form=form,
        staff=staff,
        jurisdictions=jurisdictions,
        organizations=directory.organizations(text, state, _page_number("org_page")),
        operators=operators,
        # Who has a second factor (one query for the page): they can be reset.
        with_factor=second_factor.members_with_factor(
            [u.id for u in staff] + [u.id for u in operators.rows]
        ),
        page_size=directory.PAGE_SIZE,
        # Only the directory's own parameters go into the pager's links.
        pager_args={k: v for k in _DIRECTORY_ARGS if (v := request.args.get(k))},
        kev=kev_catalog.status(),
        now=utcnow(),
        catalog_due=sum(
            e.needs_attention
            for e in freshness.catalog_freshness(questionnaire_versions.current(), _today())
        ),
    ), (200 if valid else 400)


_DIRECTORY_ARGS = ("q", "state", "org_page", "people_page")


def _page_number(parameter: str) -> int:
    value = request.args.get(parameter, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else 1


def _jurisdiction_choices() -> dict[str, str]:
    rows = db.session.scalars(sa.select(Jurisdiction).order_by(Jurisdiction.name)).all()
    return {str(j.id): f"{j.name} ({j.state})" for j in rows}


@bp.route("/coordinators/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@step_up_required
def new_coordinator() -> Response | str:
    form = CoordinatorForm()
    form.jurisdictions.choices = _jurisdiction_choices()
    if not form.jurisdictions.choices:
        flash(_("Create a jurisdiction first: a coordinator needs at least one."), "warning")
        return redirect(url_for("admin.new_jurisdiction"))
    if form.validate_on_submit():
        chosen = [db.session.get(Jurisdiction, int(j)) for j in form.jurisdictions.data or []]
        try:
            user, choose_url = service.add_coordinator(
                form.full_name.data or "",
                form.email.data or "",
                form.password.data or "",
                [j for j in chosen if j is not None],
            )
        except service.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            db.session.commit()
            if mail_enabled(current_app.config):
                welcome = _(
                    "Coordinator %(email)s created; we emailed them a welcome.", email=user.email
                )
                flash(welcome, "success")
            elif choose_url:
                flash(
                    _(
                        "Coordinator %(email)s created. Mail is off: send them this link to "
                        "choose their password (once, within 7 days): %(url)s",
                        email=user.email,
                        url=choose_url,
                    ),
                    "secret",  # the page that shows it is sent uncompressed
                )
            else:
                flash(_("Coordinator %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/coordinator_form.html", form=form)


@bp.route("/jurisdictions/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_jurisdiction() -> Response | str:
    form = JurisdictionForm()
    if form.validate_on_submit():
        try:
            jurisdiction = admin_service.create_jurisdiction(
                form.name.data or "", form.state.data or "", form.county_list()
            )
        except admin_service.AdminRefused as refused:
            form.name.errors.append(str(refused))
        else:
            db.session.commit()
            flash(_("Jurisdiction %(name)s created.", name=jurisdiction.name), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/jurisdiction_form.html", form=form)


@bp.route("/organizations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_organization() -> Response | tuple[str, int]:
    """Add an organization and invite its first operator: how organizations join when
    self-registration is off. The invitation link is shown once, here."""
    form = OrganizationForm()
    if form.validate_on_submit():
        email = form.operator_email.data or ""
        try:
            organization, invitation_url = admin_service.add_organization(
                form.new_organization(), email, current_user, duplicate_message=str(_ALREADY_THERE)
            )
        except service.AccountError as error:
            db.session.rollback()
            field = "operator_email" if error.field == "email" else error.field
            getattr(form, field or "operator_email").errors.append(str(error))
        except sa.exc.IntegrityError:  # another admin added the same name a moment ago
            db.session.rollback()
            form.organization_name.errors.append(str(_ALREADY_THERE))
        else:
            return _invitation_sent(organization, email, invitation_url, added=True)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/organization_form.html", form=form), status


_ALREADY_THERE = _l(
    "An organization with this name is already registered in this state. To give it a new "
    "operator, find it under Administration and choose “Invite an operator”."
)


@bp.route("/organizations/<int:organization_id>/invite", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def invite_operator(organization_id: int) -> Response | tuple[str, int]:
    """A new invitation into an existing organization: when the first link was lost or expired,
    or its operators have all left."""
    organization = access.get_or_404(Organization, organization_id)
    form = AdminInviteForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        try:
            invitation_url = service.invite(organization, email, current_user)
        except service.AccountError as error:
            form.email.errors.append(str(error))
        else:
            return _invitation_sent(organization, email, invitation_url)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/invite_operator.html", form=form, organization=organization
    ), status


def _invitation_sent(
    organization: Organization, email: str, invitation_url: str | None, added: bool = False
) -> Response:
    db.session.commit()
    response = make_response(
        render_template(
            "admin/organization_created.html",
            organization=organization,
            added=added,
            email=service.normalise_email(email),
            mailed=mail_enabled(current_app.config),
            link=invitation_url,
        )
    )
    response.headers["Cache-Control"] = "private, no-store"  # the link is a secret
    return response


@bp.post(
    "/users/<int:user_id>/"
    "<any(deactivate, reactivate, make_admin, make_coordinator, end_sessions, reset_second_factor)"
    ":change>"
)
@role_required(Role.ADMIN)
@step_up_required
def change_user(user_id: int, change: str) -> Response:
    """Deactivate, reactivate or change a staff member's role, end a person's logins, or reset
    the second factor of someone who lost it; their logins end at once."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        admin_service.change_user(user, change, current_user)
    except admin_service.AdminRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.index"))
    db.session.commit()
    email = user.email
    done = {
        "deactivate": _("%(email)s: done — deactivate; their sessions were ended.", email=email),
        "reactivate": _("%(email)s: done — reactivate; their sessions were ended.", email=email),
        "make_admin": _("%(email)s: done — make admin; their sessions were ended.", email=email),
        "make_coordinator": _(
            "%(email)s: done — make coordinator; their sessions were ended.", email=email
        ),
        "end_sessions": _("%(email)s: done — their sessions were ended.", email=email),
        "reset_second_factor": _(
            "%(email)s: done — their second factors and recovery codes were removed and their "
            "sessions ended; they were told by mail and add a new one at their next sign-in.",
            email=email,
        ),
    }
    flash(done[change], "success")
    return redirect(url_for("admin.index"))


@bp.get("/audit")
@read_only
@role_required(Role.ADMIN)
def audit_log() -> str | tuple[str, int]:
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, events=[], more=False), 400
    query = sa.select(AuditEvent)
    if form.action.data:
        query = query.where(AuditEvent.action.startswith(form.action.data, autoescape=True))
    if form.actor.data:
        query = query.where(
            AuditEvent.actor_email.contains(form.actor.data.lower(), autoescape=True)
        )
    if form.outcome.data:
        query = query.where(AuditEvent.outcome == form.outcome.data)
    before = request.args.get("before", "")
    if before.isascii() and before.isdigit() and len(before) < 12:
        query = query.where(AuditEvent.id < int(before))
    events = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(101)).all()
    older_url = None
    if len(events) > 100:
        # The filters as they are, with this page's last event as the new "before" (the query
        # string's own "before" is replaced, not repeated).
        kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "before"}
        older_url = url_for("admin.audit_log", **kept, before=events[99].id)
    return render_template(
        "admin/audit.html",
        form=form,
        events=events[:100],
        more=older_url is not None,
        older_url=older_url,
    )


# --- the service catalog's freshness --------------------------------------------------------


def _today() -> date:
    return datetime.now(UTC).date()


@bp.get("/catalog")
@read_only
@role_required(Role.ADMIN)
def catalog() -> str:
    """Catalog entries whose facts are due for checking (not checked for 180 days), and offers
    that ended: coordinators approve requests on what the catalog says."""
    entries = freshness.catalog_freshness(questionnaire_versions.current(), _today())
    return render_template(
        "admin/catalog.html",
        entries=entries,
        stale_after=freshness.STALE_AFTER_DAYS,
        version=questionnaire_versions.current().version,
    )


# --- outgoing mail ------------------------------------------------------------------------------

MAIL_PAGE_SIZE = 50


@bp.get("/mail")
@read_only
@role_required(Role.ADMIN)
def outgoing_mail() -> str:
    """What the portal has sent or is trying to send: status, attempts, the last error. Bodies
    are not shown (they may hold an organization's answers or a secret link)."""
    wanted = request.args.get("status", "")
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if wanted in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == wanted)
    page = _page_number("page")
    rows = db.session.scalars(
        query.offset((page - 1) * MAIL_PAGE_SIZE).limit(MAIL_PAGE_SIZE + 1)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "admin/mail.html",
        rows=rows[:MAIL_PAGE_SIZE],
        more=len(rows) > MAIL_PAGE_SIZE,
        page=page,
        wanted=wanted,
        counts={s.value: counts.get(s, 0) for s in OutboxStatus},
        mail_on=mail_enabled(current_app.config),
    )


@bp.post("/mail/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry_mail(message_id: int) -> Response:
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    if admin_service.retry_mail(row):
        db.session.commit()
        flash(
            _(
                "Message %(id)s to %(address)s will be sent again now.",
                id=row.id,
                address=row.to_address,
            ),
            "success",
        )
    return redirect(url_for("admin.outgoing_mail", status=request.args.get("status", "")))
