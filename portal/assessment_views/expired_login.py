"""A wizard save that arrives after its login expired, or with an expired form token, is kept
for its owner (:mod:`portal.assessments.pending`) instead of being thrown away: they sign in
again and the page comes back with it filled in, marked as unsaved changes."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from portal import access, origin
from portal.assessment_views.blueprint import bp
from portal.assessments import pending, reading
from portal.auth import sessions
from portal.extensions import db
from portal.models import Assessment, User

_NOT_KEPT = _l(
    "Your page had expired, and what you last sent could not be kept (it did not come from "
    "this page). Please enter your latest changes again."
)


def _keep(assessment_id: int, number: int, owner: User) -> str | None:
    """Keep the answer fields of this post for ``owner``; return the token that brings them back.

    ``owner`` must be allowed to edit the assessment (checked here: another tenant gets 404).
    Nothing is kept from another site's page, nor anything a normal save would refuse.
    """
    assessment = access.get_or_404(Assessment, assessment_id, user=owner)
    if not owner.is_operator or not assessment.is_editable:
        abort(404)
    if not origin.is_same_origin():
        return None
    steps = reading.steps_of(assessment)
    if not 0 <= number < len(steps):
        return None
    fields = pending.keepable_fields(list(steps[number].section.questions), request.form.to_dict())
    if not fields:
        return None
    token = pending.keep(assessment, owner, number, fields)
    db.session.commit()
    return token


def keep_and_sign_in(assessment_id: int, number: int) -> Response:
    """Signed out mid-save: keep what was posted for the person whose login expired, sign in,
    come back to the filled-in page. A post with no (even expired) login of ours is a stranger's:
    nothing is kept."""
    owner = sessions.expired_login_user()
    if owner is None:
        flash(_("Please sign in."), "info")
        return redirect(url_for("auth.login"))
    token = _keep(assessment_id, number, owner)
    if token is None:
        flash(str(_NOT_KEPT), "warning")
        return redirect(url_for("auth.login"))
    flash(
        _(
            "You were signed out, so your answers were not saved yet. Sign in again: they will "
            "be waiting for you."
        ),
        "warning",
    )
    target = url_for("assess.step", assessment_id=assessment_id, number=number, restore=token)
    return redirect(url_for("auth.login", next=target))


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> Response | tuple[Any, int]:
    """An expired form on a wizard save keeps the answers instead of throwing them away."""
    try:
        return _csrf_failed(error)
    except NotFound:
        # Raised by the access check while keeping: another tenant's assessment.
        return render_template(
            "errors/error.html",
            code=404,
            title=_("Page not found"),
            message=_("The page you asked for does not exist, or you do not have access to it."),
        ), 404


def _csrf_failed(error: CSRFError) -> Response | tuple[Any, int]:
    if request.endpoint == "assess.save_step" and request.view_args:
        assessment_id, number = request.view_args["assessment_id"], request.view_args["number"]
        if not current_user.is_authenticated:
            return keep_and_sign_in(assessment_id, number)
        # Signed in, but the page's token is stale: show the answers again for a fresh save.
        token = _keep(assessment_id, number, current_user)
        if token is None:
            flash(str(_NOT_KEPT), "warning")
            return redirect(request.path)
        return redirect(
            url_for("assess.step", assessment_id=assessment_id, number=number, restore=token)
        )
    if request.endpoint == "assess.autosave":
        return jsonify(error="csrf", message=_("Your page expired. Saving by form instead.")), 400
    return render_template(
        "errors/error.html",
        code=400,
        title=_("Your form expired"),
        message=_("Go back, reload the page and submit again."),
    ), 400
