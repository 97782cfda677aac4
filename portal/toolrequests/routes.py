"""Tool-access requests: operators ask their coordinator for the services their state gives
itself (the only ones a coordinator can grant), and see how to apply directly for every other
service they can get — with the link, the address and what to send. Both sides can download a
request as a PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from portal import access, i18n
from portal.assessments import reading
from portal.assessments import state as assessment_state
from portal.auth.decorators import role_required
from portal.exports.delivery import send_pdf
from portal.extensions import db
from portal.models import (
    Assessment,
    AssessmentStatus,
    Role,
    ToolRequest,
)
from portal.questionnaire.model import Questionnaire
from portal.readonly import read_only
from portal.remediation import ToolMatch
from portal.reports import documents
from portal.toolrequests import service
from portal.toolrequests.forms import ToolRequestForm

bp = Blueprint("toolrequests", __name__)


def _eligible_matches(assessment: Assessment) -> list[ToolMatch]:
    return list(assessment_state.load(assessment).plan.tools)


@bp.route("/assessments/<int:assessment_id>/tool-requests/new", methods=["GET", "POST"])
@role_required(Role.OPERATOR)
def new(assessment_id: int) -> BaseResponse | str | tuple[str, int]:
    assessment = access.get_or_404(Assessment, assessment_id)
    if assessment.status not in (AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED):
        flash(_("Submit your assessment first: requests are based on its results."), "warning")
        return redirect(url_for("assess.show", assessment_id=assessment.id))
    everything = _eligible_matches(assessment)
    if not everything:
        flash(_("No service in the catalog fits your organization right now."), "info")
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    questionnaire = reading.questionnaire_of(assessment)
    # Only what the state gives itself is requested here; the rest is applied for directly.
    matches = [m for m in everything if m.tool.state_decides]
    direct = [
        service.direct_application(questionnaire, assessment, m, current_user)
        for m in everything
        if not m.tool.state_decides
    ]
    eligible = {m.tool.id for m in matches}
    already = {
        tool_id: open_request
        for tool_id, open_request in service.open_requests_by_tool(
            assessment.organization_id
        ).items()
        if tool_id in eligible
    }
    offered = [m for m in matches if m.tool.id not in already]
    form = ToolRequestForm()
    form.tools.choices = {m.tool.id: m.tool.name for m in offered}
    if not form.is_submitted():
        form.contact_name.data = current_user.full_name
        form.contact_email.data = current_user.email
        wanted = request.args.get("tool")  # "Request this service" on the results page
        offered_ids = {m.tool.id for m in offered}
        form.tools.data = [wanted] if wanted in offered_ids else service.preselected(offered)
        form.justification.data = _reason_for(questionnaire, assessment, offered, form.tools.data)
        form.justification_auto.data = form.justification.data
    elif form.validate():
        # The reason was left as written for the services first ticked: it follows the ticks.
        if _same_text(form.justification.data, form.justification_auto.data):
            form.justification.data = _reason_for(
                questionnaire, assessment, offered, form.tools.data or []
            )
        try:
            request_row = service.create_request(
                assessment,
                current_user,
                list(form.tools.data or []),
                service.Contact(
                    form.contact_name.data or "",
                    form.contact_email.data or "",
                    form.contact_phone.data or "",
                ),
                form.justification.data or "",
            )
        except service.RequestRefused as refusal:
            db.session.rollback()
            (form.tools.errors if refusal.field else form.form_errors).append(str(refusal))
        else:
            db.session.commit()
            flash(_("Your request has been sent to your coordinator."), "success")
            return redirect(url_for("toolrequests.show", request_id=request_row.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "toolrequests/new.html",
        form=form,
        assessment=assessment,
        matches={m.tool.id: m for m in matches},
        why_you={m.tool.id: service.gap_titles(questionnaire, m) for m in offered},
        reason_head=service.justification(questionnaire, assessment, []),
        max_gap_lines=service.MAX_GAP_LINES,
        no_gap_line=str(service.NO_GAP_LINE),
        already=already,
        direct=direct,
        wanted=request.args.get("tool", ""),
    ), status


def _reason_for(
    questionnaire: Questionnaire, assessment: Assessment, offered: list[ToolMatch], ticked: Any
) -> str:
    chosen = [m for m in offered if m.tool.id in set(ticked or [])]
    return service.justification(questionnaire, assessment, chosen)


def _same_text(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


@bp.get("/tool-requests/<int:request_id>")
@read_only
@login_required
def show(request_id: int) -> str:
    request_row = access.get_or_404(ToolRequest, request_id)
    questionnaire = (
        reading.questionnaire_of(request_row.assessment) if request_row.assessment else None
    )
    return render_template(
        "toolrequests/show.html", request_row=request_row, questionnaire=questionnaire
    )


@bp.get("/tool-requests/<int:request_id>.pdf")
@login_required
def pdf(request_id: int) -> BaseResponse | tuple[str, int]:
    request_row = access.get_or_404(ToolRequest, request_id)
    if request_row.assessment is None:
        abort(404)
    language = i18n.report_language(request.args.get("language"), request_row.organization)

    def produce() -> documents.Pdf:
        with i18n.speaking(language):
            return documents.tool_request_pdf(request_row)

    return send_pdf(
        produce,
        request_row,
        "tool_request.pdf_downloaded",
        what=_("Tool-access request"),
        back_url=url_for("toolrequests.show", request_id=request_row.id),
    )
