"""The regional dashboard and the state program: the county map, what most organizations miss,
progress over time and the grant-reporting pack (#33), with their files (CSV, XLSX, PDF).

Views on the review blueprint (``portal/review/routes.py`` holds it, the queue and the review);
thin as the rest: read the address, check it, ask portal/figures, render. Every figure is scoped
by ``access.organization_scope`` in portal/figures and cached a minute per scope.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import i18n, questionnaire_versions
from portal.auth.decorators import role_required
from portal.counties import RURAL_DEFINITION
from portal.exports import coordinator
from portal.exports.download import pdf_download, sheets_download, table_download
from portal.figures import counties as county_figures
from portal.figures import grant as grant_figures
from portal.figures import missed as missed_figures
from portal.figures import progress as progress_figures
from portal.figures import queries as figures
from portal.figures.bands import SCORE_BANDS
from portal.figures.cache import cached_figures, scope_key
from portal.models import (
    utcnow,
)
from portal.questionnaire.model import CPG2_TITLES, Questionnaire
from portal.readonly import read_only
from portal.reports import county_map, progress_chart
from portal.reports.charts import Bar, priority_bars
from portal.review.forms import (
    CountyMapForm,
    GrantPeriodForm,
    MissedForm,
)
from portal.review.routes import REVIEWERS, bp
from portal.templating import format_datetime, sector_label, time_zone_of

MISSED_SHOWN = 15  # questions and goals listed, most missed first


def _map_context() -> dict[str, Any]:
    """What the dashboard page and its PDF both draw the county map with."""
    return {
        "measures": county_figures.MEASURES,
        "county_map_svg": county_map.county_map_svg,
        "county_legend": county_map.legend,
        "rural_definition": _(RURAL_DEFINITION),
    }


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
        title=_("Median overall score per sector, out of 100"),
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
        county_link=_county_link,
        **_map_context(),
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
        goal_titles={goal: _(title) for goal, title in CPG2_TITLES.items()},
        rural_words=_(RURAL_DEFINITION),
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
        f"{zone.key}:{i18n.reading_language()}",
        lambda: progress_figures.progress(current_user, questionnaire, today, zone),
    )


def _group_title(key: str) -> str:
    return _("Every organization") if key == progress_figures.ALL else sector_label(key)


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
        rural_definition=_(RURAL_DEFINITION),
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
                               title=_("Grant-reporting pack"), audited_as="review.grant_exported",
                               object_type="Dashboard", object_id="grant-pdf")  # fmt: skip
    html = render_template(
        "reports/grant.html",
        pack=pack,
        scope_name=_scope_name(),
        groups=list(grant_figures.rows_of_groups(pack)),
        rural_definition=_(RURAL_DEFINITION),
        generated_at=format_datetime(pack.generated_at),
        questionnaire_version=questionnaire_versions.current().version,
    )
    return pdf_download(html, f"{name}.pdf", audited_as="review.grant_exported",
                        object_type="Dashboard", object_id="grant-pdf")  # fmt: skip


def _grant_form() -> GrantPeriodForm:
    zone = time_zone_of(current_user)
    return GrantPeriodForm(request.args, today=utcnow().astimezone(zone).date())


def _grant_pack(form: GrantPeriodForm) -> grant_figures.GrantPack:
    questionnaire = questionnaire_versions.current()
    zone = time_zone_of(current_user)
    period = form.period
    return cached_figures(
        f"grant:{questionnaire.content_hash}:{scope_key(current_user)}:{zone.key}:"
        f"{period.first.isoformat()}:{period.last.isoformat()}:{i18n.reading_language()}",
        lambda: grant_figures.grant_pack(current_user, questionnaire, period, zone, utcnow()),
    )


def _scope_name() -> str:
    if current_user.is_coordinator:
        return ", ".join(j.name for j in current_user.jurisdictions)
    return _("All organizations")


@bp.get("/dashboard/<any(status, sectors, heatmap, critical, tools, counties):table>.csv")
@role_required(*REVIEWERS)
def dashboard_csv(table: str) -> Response | tuple[str, int]:
    if table == "counties":  # the map's figures alone: not the whole dashboard
        form, counties = _county_map()
        if counties is None:
            return _bad_map_request(form)
        exported = coordinator.county_table(counties)
    else:
        questionnaire = questionnaire_versions.current()
        board = figures.dashboard(current_user, questionnaire)
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
    return sheets_download(tables, "dashboard", title=_("Regional dashboard"),
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
        **_map_context(),
        scope_name=scope,
        generated_at=format_datetime(utcnow()),
    )
    return pdf_download(html, "dashboard.pdf", audited_as="review.dashboard_exported",
                        object_type="Dashboard", object_id="pdf")  # fmt: skip


def _bad_map_request(form: CountyMapForm) -> tuple[str, int]:
    """A county-map address that asks for what is not there: the words, with a 400."""
    problems = "; ".join(
        f"{form[name].label.text}: {errors[0]}" for name, errors in form.errors.items()
    )
    message = problems or _("You cover no state whose counties the portal can map.")
    return render_template(
        "errors/error.html", code=400, title=_("We could not make that map"), message=message
    ), 400
