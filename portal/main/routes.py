"""Home page: tells each role what to do next."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal import access, i18n
from portal.assessments import reading, revision
from portal.extensions import db
from portal.models import AssessmentStatus, Organization, Role, User

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    context: dict[str, object] = {}
    if current_user.role is Role.OPERATOR:
        organization = current_user.organization
        context["organization"] = organization
        open_one = reading.open_assessment(organization)
        context["open_assessment"] = open_one
        if open_one is not None and open_one.status is AssessmentStatus.RETURNED:
            context["revision"] = revision.revision_of(open_one)
        context["last_submitted"] = reading.latest_submitted(organization)
    elif current_user.role is Role.COORDINATOR:
        context["organization_count"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                access.visible_organizations(current_user).subquery()
            )
        )
    elif current_user.role is Role.ADMIN:
        context["user_count"] = db.session.scalar(sa.select(sa.func.count(User.id)))
        context["organization_count"] = db.session.scalar(sa.select(sa.func.count(Organization.id)))
    return render_template("main/home.html", **context)


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    """The header's language buttons: remembered in a cookie, and on the account when signed
    in (its mail follows). A code not offered falls back to the default, never an error."""
    language = i18n.offered_code(request.form.get("language")) or i18n.offered()[0]
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    response = redirect(i18n.safe_return_path(request.form.get("next")))
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=365 * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
