"""An assessment's results: the page, the JSON export and the remediation plan PDF."""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, json, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal import audit, i18n
from portal.assessment_views.blueprint import bp, load
from portal.assessments import comparison, transfer
from portal.assessments import state as assessment_state
from portal.auth import second_factor
from portal.exports import calendar, plan_files
from portal.exports.delivery import send_pdf
from portal.exports.download import download
from portal.exposure import inventory
from portal.extensions import db
from portal.figures import queries as figures
from portal.kev.matching import CAVEATS
from portal.models import Assessment, Role
from portal.readonly import read_only
from portal.remediation.page import results_page
from portal.remediation.planner import KEV_QUESTION
from portal.reports import documents
from portal.reports.charts import priority_chart
from portal.scoring.engine import Gap
from portal.scoring.headline import headline


@bp.get("/<int:assessment_id>/results")
@read_only
@login_required
def results(assessment_id: int) -> str:
    state = assessment_state.load(load(assessment_id))
    compared = comparison.compare_with_previous(state)
    priority_ids = [p.id for p in state.questionnaire.priorities]
    benchmarks = {
        sector: figures.peer_benchmark(sector, priority_ids)
        for sector in state.assessment.organization.sectors
    }
    return render_template(
        "assess/results.html",
        assessment=state.assessment,
        questionnaire=state.questionnaire,
        result=state.result,
        plan=state.plan,
        page=results_page(state.plan),
        lead=headline(state.questionnaire, state.result),
        chart=priority_chart(
            state.questionnaire,
            state.result,
            compared.previous_scores if compared else None,
            responsive=True,
        ),
        comparison=compared,
        benchmarks=benchmarks,
        min_peers=figures.MIN_PEERS,
        rows=state.rows,
        exploited=state.exploited,
        kev_question=KEV_QUESTION,
        caveats=CAVEATS,
        products_listed=len(inventory.items_of(state.assessment.organization_id)),
        offer_second_factor=_offer_second_factor(state.result.gaps),
    )


# The organization's own answers on multi-factor authentication: when they are gaps, the page
# asks its operator to start with their own portal account ("do what you ask of your users").
MFA_QUESTIONS = frozenset({"core.mfa_remote_email", "core.mfa_admin_strong"})


def _offer_second_factor(gaps: Sequence[Gap]) -> bool:
    return (
        current_user.role is Role.OPERATOR
        and any(g.question_id in MFA_QUESTIONS for g in gaps)
        and not second_factor.has_factor(current_user)
    )


@bp.get("/<int:assessment_id>/export.json")
@login_required
def export_json(assessment_id: int) -> Response:
    state = assessment_state.load(load(assessment_id))
    audit.record_for(state.assessment, "assessment.exported", format="json")
    db.session.commit()
    return download(
        # The app's JSON exactly as jsonify writes it (compact, keys sorted, a final newline).
        json.dumps(transfer.export(state), separators=(",", ":")) + "\n",
        f"assessment-{state.assessment.id}.json",
        "application/json",
    )


def _not_submitted(assessment: Assessment) -> Response | None:
    """Where to go instead of a plan's file while the assessment is a draft or returned."""
    if assessment.is_editable and current_user.is_operator:
        flash(_("The remediation plan is made from a submitted assessment. Submit first."), "info")
        return redirect(url_for("assess.review", assessment_id=assessment.id))
    if assessment.is_editable:
        # Returned for revision: its answers are changing, so no plan is made from them until
        # the organization submits again.
        flash(
            _(
                "This assessment was returned for revision. Its plan is made again when the "
                "organization resubmits."
            ),
            "info",
        )
        return redirect(url_for("review.assessment", assessment_id=assessment.id))
    return None


@bp.get("/<int:assessment_id>/plan.pdf")
@login_required
def plan_pdf(assessment_id: int) -> Response | tuple[str, int]:
    assessment = load(assessment_id)
    if (elsewhere := _not_submitted(assessment)) is not None:
        return elsewhere
    include_answers = request.args.get("answers") == "1"
    language = i18n.report_language(request.args.get("language"), assessment.organization)

    def produce() -> documents.Pdf:
        with i18n.speaking(language):
            return documents.plan_pdf(assessment, include_answers=include_answers)

    return send_pdf(
        produce,
        assessment,
        "assessment.plan_downloaded",
        what=_("Remediation plan"),
        back_url=url_for("review.assessment", assessment_id=assessment.id)
        if current_user.role is not Role.OPERATOR
        else url_for("assess.results", assessment_id=assessment.id),
    )


@bp.get(f"/<int:assessment_id>/<any({plan_files.NAMES}):name>")
@login_required
def plan_file(assessment_id: int, name: str) -> Response:
    """The plan as Word, a spreadsheet or OSCAL (portal/exports/plan_files.py), audited."""
    assessment = load(assessment_id)
    if (elsewhere := _not_submitted(assessment)) is not None:
        return elsewhere
    with i18n.speaking(i18n.report_language(request.args.get("language"), assessment.organization)):
        return plan_files.send(assessment, name)


@bp.get("/<int:assessment_id>/plan.ics")
@read_only
@login_required
def plan_calendar(assessment_id: int) -> Response:
    """The plan's deadlines for a calendar (a submitted assessment's plan only)."""
    assessment = load(assessment_id)
    if assessment.is_editable or assessment.submitted_at is None:
        flash(_("The plan's deadlines come from a submitted assessment."), "info")
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    with i18n.speaking(i18n.report_language(request.args.get("language"), assessment.organization)):
        return download(
            calendar.plan_calendar(assessment_state.load(assessment)),
            f"cyber-plan-{assessment.id}.ics",
            "text/calendar",
        )
