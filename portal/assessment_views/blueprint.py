"""The ``assess`` blueprint and what its views share: loading an assessment for a page, and
the error pages of the assessment layer's refusals."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import orm
from werkzeug.wrappers import Response

from portal import access
from portal.assessments.errors import AssessmentError, InvalidSubmission
from portal.extensions import db
from portal.models import Assessment, Organization

bp = Blueprint("assess", __name__, url_prefix="/assessments")


def load(assessment_id: int) -> Assessment:
    """The assessment, if the signed-in person may see it (else 404)."""
    # Every assessment page reads the organization and the questionnaire version next; the
    # organization's sectors only some pages (the assessment keeps its own module list).
    return access.get_or_404(
        Assessment,
        assessment_id,
        options=(
            orm.joinedload(Assessment.organization).lazyload(Organization.sector_links),
            orm.joinedload(Assessment.questionnaire_version),
        ),
    )


def load_for_editing(assessment_id: int) -> Assessment:
    """The assessment, if the signed-in person is one of its organization's operators."""
    assessment = load(assessment_id)
    if not current_user.is_operator:
        abort(403)
    return assessment


@bp.errorhandler(InvalidSubmission)
def invalid_submission(error: InvalidSubmission) -> tuple[str, int]:
    """What no honest page posts (unknown question or value, hidden question): nothing written."""
    db.session.rollback()
    return render_template(
        "errors/error.html",
        code=400,
        title=_("We could not read that request"),
        message=_("Please go back, reload the page and try again."),
    ), 400


@bp.errorhandler(AssessmentError)
def assessment_locked(error: AssessmentError) -> Response:
    """A change the assessment's state no longer allows (for example, it was just submitted)."""
    db.session.rollback()
    flash(str(error), "warning")
    assessment_id = (request.view_args or {}).get("assessment_id")
    if assessment_id is None:
        return redirect(url_for("assess.index"))
    return redirect(url_for("assess.results", assessment_id=assessment_id))
