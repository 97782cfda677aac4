"""Home page: tells each role what to do next."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from portal import access
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
