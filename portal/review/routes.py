"""Coordinator workspace: the jurisdiction's queue, assessment review, tool-request decisions."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from portal import access, audit, questionnaire_versions
from portal.assessments import lifecycle, reading, revision
from portal.assessments import state as assessment_state
from portal.auth.decorators import role_required, step_up_required
from portal.config import PROJECT_ROOT
from portal.counties import RURAL_DEFINITION
from portal.exports import coordinator
from portal.exports.download import download, sheets_download, table_download
from portal.extensions import db
from portal.figures import counties as county_figures
from portal.figures import grant as grant_figures
from portal.figures import missed as missed_figures
from portal.figures import progress as progress_figures
from portal.figures import queries as figures
from portal.figures.bands import SCORE_BANDS
from portal.figures.cache import cached_figures, scope_key
from portal.models import (
    Assessment,
    AssessmentStatus,
    Role,
    StatusChange,
    ToolRequest,
    ToolRequestStatus,
    User,
    utcnow,
)
from portal.questionnaire.model import CPG2_TITLES, Questionnaire
from portal.readonly import read_only
from portal.reports import county_map, progress_chart
from portal.reports.charts import Bar, priority_bars
from portal.reports.pdf import render_bounded
from portal.review import answer_review, queue
from portal.review.forms import (
    CommentForm,
    CountyMapForm,
    DecisionForm,
    GrantPeriodForm,
    MissedForm,
    QueueFilterForm,
    ReturnForm,
)
from portal.scoring.headline import headline
from portal.templating import format_datetime, plural, sector_label, time_zone_of
from portal.toolrequests import service as tool_requests_service

bp = Blueprint("review", __name__, url_prefix="/review")
REVIEWERS = (Role.COORDINATOR, Role.ADMIN)
MISSED_SHOWN = 15  # questions and goals listed, most missed first


@bp.get("/")
@read_only
@role_required(*REVIEWERS)
def index() -> str | tuple[str, int]:
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("review/queue.html", form=form, page=None), 400
    filters = form.filters()
    try:
        page = queue.queue_page(current_user, filters, request.args.get("after"))
    except queue.BadCursor:
        form.form_errors.append("That page link is not valid any more; start from the first page.")
        return render_template("review/queue.html", form=form, page=None), 400
    next_args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template("review/queue.html", form=form, page=page, next_args=next_args)


def _comment_form(assessment: Assessment) -> CommentForm:
    form = CommentForm()
    questionnaire = reading.questionnaire_of(assessment)
    form.question_id.choices = {
        "": "The assessment as a whole",
        **{q.id: q.text[:90] for q in questionnaire.questions_in(assessment.modules)},
    }
    return form


def _detail(
    assessment: Assessment, comment_form: CommentForm | None = None, status: int = 200
) -> tuple[str, int]:
    state = assessment_state.load(assessment)
    history = db.session.scalars(
        sa.select(Assessment)
        .where(
            Assessment.organization_id == assessment.organization_id,
            Assessment.status.in_(queue.QUEUE_STATUSES),
        )
        .order_by(Assessment.submitted_at.desc())
    ).all()
    changes = db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.assessment_id == assessment.id)
        .order_by(StatusChange.at)
    ).all()
    requests = db.session.scalars(
        sa.select(ToolRequest).where(ToolRequest.assessment_id == assessment.id)
    ).all()
    operators = db.session.scalars(
        sa.select(User)
        .where(User.organization_id == assessment.organization_id, User.is_active)
        .order_by(User.full_name)
    ).all()
    only_attention = request.args.get("show") == "attention"
    show_all = request.args.get("show") == "all"
    thread = revision.revision_of(assessment, state.rows)
    sections = answer_review.sections(state, reading.steps_of(assessment), thread)
    return render_template(
        "review/assessment.html",
        assessment=assessment,
        questionnaire=state.questionnaire,
        result=state.result,
        lead=headline(state.questionnaire, state.result),
        sections=sections,
        attention_count=sum(len(s.attention_rows) for s in sections),
        only_attention=only_attention,
        show_all=show_all,
        general_comments=thread.general,
        since_return=revision.changes_since_return(assessment, state.rows),
        clashes=state.clashes,
        rows=state.rows,
        history=history,
        changes=changes,
        tool_requests=requests,
        operators=operators,
        comment_form=comment_form or _comment_form(assessment),
        # Comments reach the operator with a return, or on the draft they are revising.
        can_comment=assessment.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED),
    ), status


@bp.get("/assessments/<int:assessment_id>")
@read_only
@role_required(*REVIEWERS)
def assessment(assessment_id: int) -> tuple[str, int]:
    return _detail(access.get_or_404(Assessment, assessment_id))


@bp.post("/assessments/<int:assessment_id>/comments")
@role_required(*REVIEWERS)
def comment(assessment_id: int) -> Response | tuple[str, int]:
    item = access.get_or_404(Assessment, assessment_id)
    form = _comment_form(item)
    if not form.validate():
        return _detail(item, form, 400)
    revision.add_comment(item, current_user, form.question_id.data, form.body.data or "")
    db.session.commit()
    flash("Comment added. The operator sees it with the assessment.", "success")
    anchor = f"#row-{form.question_id.data}" if form.question_id.data else "#comments"
    return redirect(url_for("review.assessment", assessment_id=item.id) + anchor)


@bp.post("/assessments/<int:assessment_id>/accept")
@role_required(*REVIEWERS)
def accept(assessment_id: int) -> Response:
    return _decide(access.get_or_404(Assessment, assessment_id), "accept")


def _return_page(assessment: Assessment, form: ReturnForm, status: int = 200) -> tuple[str, int]:
    rev = revision.revision_of(assessment)
    return render_template(
        "review/return.html", assessment=assessment, form=form, revision=rev
    ), status


@bp.get("/assessments/<int:assessment_id>/return")
@read_only
@role_required(*REVIEWERS)
def confirm_return(assessment_id: int) -> Response | tuple[str, int]:
    """Returning asks for a message first: the operator's way back starts from it."""
    item = access.get_or_404(Assessment, assessment_id)
    refusal = lifecycle.return_refusal(item)
    if refusal is not None:  # said before a message is written, not after
        flash(refusal, "warning")
        return redirect(url_for("review.assessment", assessment_id=item.id))
    return _return_page(item, ReturnForm())


@bp.post("/assessments/<int:assessment_id>/return")
@role_required(*REVIEWERS)
def return_for_revision(assessment_id: int) -> Response | tuple[str, int]:
    item = access.get_or_404(Assessment, assessment_id)
    form = ReturnForm()
    if not form.validate():
        return _return_page(item, form, 400)
    if item.status is AssessmentStatus.SUBMITTED:
        revision.add_comment(item, current_user, None, form.message.data or "")
    return _decide(item, "return")


def _decide(item: Assessment, action: str) -> Response:
    try:
        lifecycle.decide(item, action, current_user)
    except lifecycle.TransitionRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("review.assessment", assessment_id=item.id))
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(
            "Someone changed this assessment at the same moment; here is its current state.",
            "warning",
        )
        return redirect(url_for("review.assessment", assessment_id=item.id))
    flash(
        "Accepted."
        if action == "accept"
        else "Returned for revision: the operator can edit it again and sees your comments.",
        "success",
    )
    return redirect(url_for("review.assessment", assessment_id=item.id))


@bp.get("/tool-requests")
@read_only
@role_required(*REVIEWERS)
def tool_requests() -> str | tuple[str, int]:
    wanted = request.args.get("status", "submitted")
    if wanted not in {s.value for s in ToolRequestStatus} | {"all"}:
        wanted = "submitted"
    after = request.args.get("after")
    try:
        page = queue.tool_request_page(current_user, wanted, after)
    except queue.BadCursor:
        flash("That page link is not valid any more; here is the first page.", "error")
        page, status, after = queue.tool_request_page(current_user, wanted, None), 400, None
    else:
        status = 200
    return render_template(
        "review/tool_requests.html",
        page=page,
        wanted=wanted,
        show_first_link=bool(after),
        page_size=queue.REQUEST_PAGE_SIZE,
        form=DecisionForm(),
    ), status


@bp.post("/tool-requests/<int:request_id>/decide")
@role_required(*REVIEWERS)
def decide_tool_request(request_id: int) -> Response:
    item = access.get_or_404(ToolRequest, request_id)
    form = DecisionForm()
    back = url_for("toolrequests.show", request_id=item.id)
    if not form.validate():
        errors = [e for field in (form.action, form.reason) for e in field.errors]
        flash(errors[0] if errors else "Choose a decision.", "error")
        return redirect(back)
    try:
        new_status = tool_requests_service.decide(
            item, form.action.data or "", form.reason.data or "", current_user
        )
    except tool_requests_service.TransitionRefused as refusal:
        flash(str(refusal), "error")
        return redirect(back)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(
            "Someone decided this request at the same moment; here is its current state.", "warning"
        )
        return redirect(back)
    flash(f"Request {new_status.value}.", "success")
    return redirect(back)


# --- exports and the regional dashboard ------------------------------------------------------


@bp.get("/export.<any(csv, xlsx):kind>")
@role_required(*REVIEWERS)
@step_up_required
def export_queue(kind: Literal["csv", "xlsx"]) -> Response | tuple[str, int]:
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("review/queue.html", form=form, page=None), 400
    table = coordinator.queue_table(queue.export_rows(current_user, form.filters()))
    return table_download(table, "review-queue", kind, audited_as="review.queue_exported",
                          object_type="Queue")  # fmt: skip


@bp.get("/dashboard")
@read_only
@role_required(*REVIEWERS)
def dashboard() -> tuple[str, int]:
    questionnaire = questionnaire_versions.current()
    board = figures.dashboard(current_user, questionnaire)
    # The chart shows what the table below says; the table is its text alternative.
    chart = priority_bars(
        [
            Bar(f"{sector_label(row.sector)} ({row.organizations})", row.median,
                questionnaire.tier_for(row.median).id)
            for row in board.sector_scores
        ],
        title="Median overall score per sector, out of 100",
        chart_id="sector-chart",
        responsive=True,
    )  # fmt: skip
    map_form, counties = _county_map()
    return render_template(
        "review/dashboard.html",
        board=board,
        questionnaire=questionnaire,
        priority_ids=[p.id for p in questionnaire.priorities],
        score_bands=SCORE_BANDS,
        sector_chart=chart,
        map_form=map_form,
        counties=counties,
        measures=county_figures.MEASURES,
        county_map_svg=county_map.county_map_svg,
        county_legend=county_map.legend,
        county_link=_county_link,
        rural_definition=RURAL_DEFINITION,
        map_args={k: v for k, v in request.args.items() if k in ("measure", "state")},
    ), (200 if counties is not None or not map_form.errors else 400)


def _county_link(row: county_figures.CountyFigures) -> str:
    return url_for("review.index", fips=row.county.fips)


def _county_map() -> tuple[CountyMapForm, county_figures.CountyMap | None]:
    """The map's form (measure and state, from the address) and the figures it asks for; no
    figures when the address asks for something that is not there (the form says what)."""
    form = CountyMapForm(request.args, states=county_figures.states_of(current_user))
    if not form.state.choices or not form.validate():
        return form, None
    state = form.state.data or ""
    return form, cached_figures(
        f"county-map:{scope_key(current_user)}:{state}",
        lambda: county_figures.county_map(current_user, state, utcnow()),
    )


@bp.get("/missed")
@read_only
@role_required(*REVIEWERS)
def missed() -> tuple[str, int]:
    """What most organizations miss: the questions and CPG goals most often answered "not in
    place" or "I don't know", with the services that would close each."""
    questionnaire = questionnaire_versions.current()
    form = MissedForm(request.args)
    if not form.validate():
        return render_template("review/missed.html", form=form, figures=None), 400
    figures_ = _most_missed(form, questionnaire)
    return render_template(
        "review/missed.html",
        form=form,
        figures=figures_,
        questionnaire=questionnaire,
        goal_titles=CPG2_TITLES,
        rural_words=RURAL_DEFINITION,
        args={k: v for k, v in request.args.items() if k in ("sector", "place")},
    ), 200


@bp.get("/missed.csv")
@role_required(*REVIEWERS)
def missed_csv() -> Response | tuple[str, int]:
    questionnaire = questionnaire_versions.current()
    form = MissedForm(request.args)
    if not form.validate():
        return render_template("review/missed.html", form=form, figures=None), 400
    table = coordinator.missed_table(_most_missed(form, questionnaire), questionnaire)
    return table_download(table, "most-missed", "csv", audited_as="review.dashboard_exported",
                          object_type="Dashboard", object_id="missed")  # fmt: skip


def _most_missed(form: MissedForm, questionnaire: Questionnaire) -> missed_figures.MostMissed:
    sector, place = form.sector.data or "", form.place.data or ""
    return cached_figures(
        f"missed:{questionnaire.content_hash}:{scope_key(current_user)}:{sector}:{place}",
        lambda: missed_figures.most_missed(
            current_user, questionnaire, sector=sector, place=place, limit=MISSED_SHOWN
        ),
    )


@bp.get("/progress")
@read_only
@role_required(*REVIEWERS)
def progress() -> str:
    """Progress over time: where the jurisdiction and each sector stood at each quarter's end,
    first against latest assessments, and what was reported done."""
    found = _progress()
    panels = [
        progress_chart.panel(group, _group_title(group.key), f"progress-{group.key or 'all'}")
        for group in found.groups
    ]
    return render_template(
        "review/progress.html",
        progress=found,
        panels=panels,
        group_title=_group_title,
        score_bands=SCORE_BANDS,
        band_colours=progress_chart.BAND_COLOURS,
    )


@bp.get("/progress.csv")
@role_required(*REVIEWERS)
def progress_csv() -> Response:
    table = coordinator.progress_table(_progress(), _group_title)
    return table_download(table, "progress", "csv", audited_as="review.dashboard_exported",
                          object_type="Dashboard", object_id="progress")  # fmt: skip


def _progress() -> progress_figures.Progress:
    zone = time_zone_of(current_user)
    today = utcnow().astimezone(zone).date()
    questionnaire = questionnaire_versions.current()
    return cached_figures(
        f"progress:{questionnaire.content_hash}:{scope_key(current_user)}:{today.isoformat()}:"
        f"{zone.key}",
        lambda: progress_figures.progress(current_user, questionnaire, today, zone),
    )


def _group_title(key: str) -> str:
    return "Every organization" if key == progress_figures.ALL else sector_label(key)


@bp.get("/grant")
@read_only
@role_required(*REVIEWERS)
def grant() -> tuple[str, int]:
    """The grant-reporting pack: the measures for a period, and its XLSX and PDF."""
    form = _grant_form()
    if not form.validate():
        return render_template("review/grant.html", form=form, pack=None), 400
    pack = _grant_pack(form)
    return render_template(
        "review/grant.html",
        form=form,
        pack=pack,
        rural_definition=RURAL_DEFINITION,
        scope_name=_scope_name(),
        groups=list(grant_figures.rows_of_groups(pack)),
        args={k: v for k, v in request.args.items() if k in ("first", "last")},
    ), 200


@bp.get("/grant.<any(xlsx, pdf):kind>")
@role_required(*REVIEWERS)
def grant_file(kind: str) -> Response | tuple[str, int]:
    form = _grant_form()
    if not form.validate():
        return render_template("review/grant.html", form=form, pack=None), 400
    pack = _grant_pack(form)
    name = f"grant-report-{pack.period.first.isoformat()}-to-{pack.period.last.isoformat()}"
    if kind == "xlsx":
        tables = coordinator.grant_tables(pack, _scope_name(), format_datetime(pack.generated_at))
        return sheets_download(tables, name,
                               title="Grant-reporting pack", audited_as="review.grant_exported",
                               object_type="Dashboard", object_id="grant")  # fmt: skip
    html = render_template(
        "reports/grant.html",
        pack=pack,
        scope_name=_scope_name(),
        groups=list(grant_figures.rows_of_groups(pack)),
        rural_definition=RURAL_DEFINITION,
        generated_at=format_datetime(pack.generated_at),
        questionnaire_version=questionnaire_versions.current().version,
    )
    stylesheet = (PROJECT_ROOT / "static/css/print.css").read_text(encoding="utf-8")
    data = render_bounded(html, PROJECT_ROOT / "static", stylesheet)
    audit.record("review.grant_exported", object_type="Dashboard", object_id="grant-pdf")
    db.session.commit()
    return download(data, f"{name}.pdf", "application/pdf")


def _grant_form() -> GrantPeriodForm:
    zone = time_zone_of(current_user)
    return GrantPeriodForm(request.args, today=utcnow().astimezone(zone).date())


def _grant_pack(form: GrantPeriodForm) -> grant_figures.GrantPack:
    questionnaire = questionnaire_versions.current()
    zone = time_zone_of(current_user)
    period = form.period
    return cached_figures(
        f"grant:{questionnaire.content_hash}:{scope_key(current_user)}:{zone.key}:"
        f"{period.first.isoformat()}:{period.last.isoformat()}",
        lambda: grant_figures.grant_pack(current_user, questionnaire, period, zone, utcnow()),
    )


def _scope_name() -> str:
    if current_user.is_coordinator:
        return ", ".join(j.name for j in current_user.jurisdictions)
    return "All organizations"


@bp.get("/dashboard/<any(status, sectors, heatmap, critical, tools, counties):table>.csv")
@role_required(*REVIEWERS)
def dashboard_csv(table: str) -> Response | tuple[str, int]:
    questionnaire = questionnaire_versions.current()
    board = figures.dashboard(current_user, questionnaire)
    if table == "counties":
        form, counties = _county_map()
        if counties is None:
            return _bad_map_request(form)
        exported = coordinator.county_table(counties)
    else:
        exported = coordinator.dashboard_tables(board, questionnaire)[table]
    return table_download(exported, f"dashboard-{table}", "csv",
                          audited_as="review.dashboard_exported", object_type="Dashboard",
                          object_id=table)  # fmt: skip


@bp.get("/dashboard.xlsx")
@role_required(*REVIEWERS)
def dashboard_xlsx() -> Response | tuple[str, int]:
    """The dashboard's tables, one sheet each, the chosen state's counties among them."""
    questionnaire = questionnaire_versions.current()
    board = figures.dashboard(current_user, questionnaire)
    tables = list(coordinator.dashboard_tables(board, questionnaire).values())
    form, counties = _county_map()
    if counties is None and form.errors:
        return _bad_map_request(form)
    if counties is not None:
        tables.insert(1, coordinator.county_table(counties))
    return sheets_download(tables, "dashboard", title="Regional dashboard",
                           audited_as="review.dashboard_exported", object_type="Dashboard",
                           object_id="all")  # fmt: skip


@bp.get("/dashboard.pdf")
@role_required(*REVIEWERS)
def dashboard_pdf() -> Response | tuple[str, int]:
    """The dashboard as a document to attach or print: the chosen county map, its table and the
    jurisdiction's headline tables. Rendered by the safe renderer, bounded in time."""
    questionnaire = questionnaire_versions.current()
    board = figures.dashboard(current_user, questionnaire)
    form, counties = _county_map()
    if counties is None and form.errors:
        return _bad_map_request(form)
    scope = _scope_name()
    html = render_template(
        "reports/dashboard.html",
        board=board,
        questionnaire=questionnaire,
        score_bands=SCORE_BANDS,
        counties=counties,
        measure_chosen=form.chosen,
        measures=county_figures.MEASURES,
        county_map_svg=county_map.county_map_svg,
        county_legend=county_map.legend,
        rural_definition=RURAL_DEFINITION,
        scope_name=scope,
        generated_at=format_datetime(utcnow()),
    )
    stylesheet = (PROJECT_ROOT / "static/css/print.css").read_text(encoding="utf-8")
    data = render_bounded(html, PROJECT_ROOT / "static", stylesheet)
    audit.record("review.dashboard_exported", object_type="Dashboard", object_id="pdf")
    db.session.commit()
    return download(data, "dashboard.pdf", "application/pdf")


def _bad_map_request(form: CountyMapForm) -> tuple[str, int]:
    """A county-map address that asks for what is not there: the words, with a 400."""
    problems = "; ".join(
        f"{form[name].label.text}: {errors[0]}" for name, errors in form.errors.items()
    )
    message = problems or "You cover no state whose counties the portal can map."
    return render_template(
        "errors/error.html", code=400, title="We could not make that map", message=message
    ), 400


@bp.get("/oscal.zip")
@role_required(*REVIEWERS)
@step_up_required
def oscal_zip() -> Response | tuple[str, int]:
    """The OSCAL files of each organization's latest accepted assessment that the queue's
    filters select, up to OSCAL_ZIP_LIMIT (more, or none: the queue says so)."""
    form = QueueFilterForm(request.args)
    if not form.validate():
        return render_template("review/queue.html", form=form, page=None), 400
    limit = coordinator.OSCAL_ZIP_LIMIT
    chosen, total = queue.accepted_latest(current_user, form.filters(), limit)
    if not chosen or total > limit:
        flash(
            f"These filters select {plural(total, 'accepted assessment')}; one OSCAL download "
            f"holds at most {limit}. Choose a county or a sector first."
            if total
            else "These filters select no accepted assessment: there is nothing to download.",
            "warning",
        )
        kept = request.query_string.decode()  # back to the queue with the same filters
        return redirect(url_for("review.index") + (f"?{kept}" if kept else ""))
    body = coordinator.oscal_zip(chosen, filters=request.query_string.decode())
    db.session.commit()
    return download(body, "accepted-assessments-oscal.zip", "application/zip")
