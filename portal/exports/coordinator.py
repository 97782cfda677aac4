"""The coordinator's tables as files: the queue, the dashboard's figures and the exposure view,
each defined once and handed out as CSV (as before) and as a spreadsheet (one sheet per table,
typed cells). Rows are read as they are written: the queue and the exposure view come from the
database a batch at a time.

Also the OSCAL files of every accepted assessment of a jurisdiction, as one ZIP.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from portal import audit
from portal.assessments import state as assessment_state
from portal.counties import RURAL_DEFINITION
from portal.exports.plan_files import FILES
from portal.exports.workbook import SPOOL_BYTES, SheetColumn, Table
from portal.exposure import jurisdiction
from portal.extensions import db
from portal.figures.bands import SCORE_BANDS
from portal.figures.counties import MEASURES, CountyMap
from portal.figures.grant import ENTITY_LABELS, GrantPack, rows_of_groups
from portal.figures.missed import MostMissed
from portal.figures.progress import Progress
from portal.figures.queries import MIN_PEERS, Dashboard
from portal.models import Assessment, AssessmentStatus, User
from portal.questionnaire.model import CPG2_TITLES, Questionnaire

# A ZIP of OSCAL files holds at most this many assessments: it is made within the request, and
# both files of one assessment take ~50 ms on the national dataset (bench/exports_bench.py), so
# 300 leave half of gunicorn's 30 s. A larger jurisdiction filters by county or sector first.
OSCAL_ZIP_LIMIT = 300


def _table(
    title: str, columns: Sequence[tuple[str, SheetColumn]], rows: Iterable[Sequence[Any]]
) -> Table:
    return Table(
        title, tuple(k for k, _unused in columns), tuple(c for _unused, c in columns), rows
    )


QUEUE_COLUMNS = (
    ("assessment_id", SheetColumn(_l("Assessment"), 11, "number")),
    ("organization", SheetColumn(_l("Organization"), 40)),
    ("state", SheetColumn(_l("State"), 7)),
    ("county", SheetColumn(_l("County"), 18)),
    ("sectors", SheetColumn(_l("Sectors"), 18)),
    ("ownership", SheetColumn(_l("Ownership"), 12)),
    ("status", SheetColumn(_l("Status"), 11)),
    ("submitted_at", SheetColumn(_l("Submitted"), 18, "datetime")),
    ("score", SheetColumn(_l("Score"), 8, "number")),
    ("tier", SheetColumn(_l("Tier"), 12)),
    ("critical_gaps", SheetColumn(_l("Critical gaps"), 13, "number")),
)


def queue_table(rows: Iterable[Sequence[Any]]) -> Table:
    """The queue's rows (``review.queue.export_rows``: tuples in QUEUE_COLUMNS' order) as a
    table."""
    return _table(_("Queue"), QUEUE_COLUMNS, rows)


def dashboard_tables(board: Dashboard, questionnaire: Questionnaire) -> dict[str, Table]:
    """The dashboard's five tables, by the name their CSV has."""
    priority_ids = [p.id for p in questionnaire.priorities]
    count = SheetColumn(_("Organizations"), 14, "number")

    def question_text(question_id: str) -> str:
        if questionnaire.has_question(question_id):
            return questionnaire.question(question_id).text
        return ""

    return {
        "status": _table(
            _("Status"),
            [("status", SheetColumn(_("Status"), 14)), ("organizations", count)],
            [list(i) for i in board.status_counts.items()],
        ),
        "sectors": _table(
            _("Sectors"),
            [
                ("sector", SheetColumn(_("Sector"), 16)),
                ("organizations", count),
                ("median", SheetColumn(_("Median score"), 13, "number")),
                *(
                    (b.key, SheetColumn(_("Score %(band)s", band=b.label), 14, "number"))
                    for b in SCORE_BANDS
                ),
            ],
            [
                [r.sector, r.organizations, r.median, *(r.bands[b.key] for b in SCORE_BANDS)]
                for r in board.sector_scores
            ],
        ),
        "heatmap": _table(
            _("Weakest priorities"),
            [
                ("sector", SheetColumn(_("Sector"), 16)),
                (board.heat_level, SheetColumn(board.heat_level.capitalize(), 18)),
                ("organizations", count),
                *(
                    (p, SheetColumn(questionnaire.priority(p).title, 16, "number"))
                    for p in priority_ids
                ),
                ("weakest", SheetColumn(_("Weakest"), 22)),
            ],
            [
                [
                    r.sector,
                    r.place,
                    r.organizations,
                    *[r.scores[p] for p in priority_ids],
                    r.weakest,
                ]
                for r in board.heat
            ],
        ),
        "critical": _table(
            _("Critical gaps"),
            [
                ("question_id", SheetColumn(_("Question id"), 26)),
                ("question", SheetColumn(_("Question"), 70)),
                ("organizations", count),
            ],
            [
                [g.question_id, question_text(g.question_id), g.organizations]
                for g in board.critical
            ],
        ),
        "tools": _table(
            _("Tool requests"),
            [
                ("tool", SheetColumn(_("Tool"), 30)),
                ("status", SheetColumn(_("Status"), 12)),
                ("requests", SheetColumn(_("Requests"), 10, "number")),
            ],
            [list(r) for r in board.tools],
        ),
    }


EXPOSURE_COLUMNS = (
    ("organization_id", SheetColumn(_l("Organization id"), 14, "number")),
    ("organization", SheetColumn(_l("Organization"), 40)),
    ("state", SheetColumn(_l("State"), 7)),
    ("county", SheetColumn(_l("County"), 18)),
    ("exploited_products", SheetColumn(_l("Known-exploited products"), 50)),
    ("internet_facing", SheetColumn(_l("Faces the internet"), 12)),
    ("looked_after_by_msp", SheetColumn(_l("Looked after by an IT provider"), 14)),
)


def county_table(figures: CountyMap) -> Table:
    """The county map's figures: every county of the state in scope, its counts, the four
    measures (empty where fewer than 5 organizations are behind a figure: the k >= 5 rule holds
    in the file as on the map) and its rural classification."""
    measure_columns = [
        (m.value, SheetColumn(f"{d.label}{' (%)' if d.unit else ''}", 16, "number"))
        for m, d in MEASURES.items()
    ]
    return _table(
        _("Counties"),
        [
            ("fips", SheetColumn(_("County FIPS"), 11)),
            ("county", SheetColumn(_("County"), 22)),
            ("state", SheetColumn(_("State"), 7)),
            ("organizations", SheetColumn(_("Organizations"), 14, "number")),
            ("assessed", SheetColumn(_("Submitted an assessment"), 14, "number")),
            *measure_columns,
            ("rucc_2023", SheetColumn(_("RUCC 2023"), 10, "number")),
            ("rural", SheetColumn(_("Rural"), 9)),
        ],
        [
            [
                c.county.fips,
                c.county.label,
                figures.state,
                c.organizations,
                c.assessed,
                *(c.value(m) for m in MEASURES),
                c.county.rucc,
                "" if c.county.rural is None else _yes_no(c.county.rural),
            ]
            for c in figures.counties
        ],
    )


def missed_table(figures: MostMissed, questionnaire: Questionnaire) -> Table:
    """The most-missed questions and goals, one row each, with the services that close them."""

    def services(question_id: str) -> str:
        if not questionnaire.has_question(question_id):
            return ""
        action = questionnaire.question(question_id).action
        return "; ".join(questionnaire.tool(t).name for t in action.tools) if action else ""

    rows: list[list[Any]] = [
        ["question", m.key, questionnaire.question(m.key).text, m.answered, m.not_in_place,
         m.dont_know, m.share, services(m.key)]
        for m in figures.questions
        if questionnaire.has_question(m.key)
    ]  # fmt: skip
    rows += [
        ["CPG 2.0 goal", m.key, _(CPG2_TITLES[m.key]) if m.key in CPG2_TITLES else "",
         m.answered, m.not_in_place, m.dont_know, m.share, ""]
        for m in figures.goals
    ]  # fmt: skip
    return _table(
        _("Most missed"),
        [
            ("kind", SheetColumn(_("Kind"), 12)),
            ("id", SheetColumn(_("Id"), 28)),
            ("text", SheetColumn(_("Question or goal"), 60)),
            ("answers", SheetColumn(_("Answers"), 10, "number")),
            ("not_in_place", SheetColumn(_("Not in place"), 12, "number")),
            ("dont_know", SheetColumn(_("I don't know"), 12, "number")),
            ("share_missed", SheetColumn(_("Missed (%)"), 10, "number")),
            ("services", SheetColumn(_("Services that close it"), 50)),
        ],
        rows,
    )


def progress_table(found: Progress, title_of: Callable[[str], str]) -> Table:
    """Where each group stood at each quarter's end (the page's first-against-latest table is
    not in this file)."""
    rows: list[list[Any]] = []
    for group in found.groups:
        for q in group.quarters:
            rows.append(
                [title_of(group.key), q.quarter.label, q.organizations, q.submitted_in_quarter,
                 q.median, *((q.bands[b.key] if q.shown else None) for b in SCORE_BANDS),
                 q.gap_share]
            )  # fmt: skip
    return _table(
        _("Progress"),
        [
            ("group", SheetColumn(_("Group"), 24)),
            ("quarter", SheetColumn(_("Quarter"), 10)),
            ("organizations", SheetColumn(_("Assessed by the quarter's end"), 14, "number")),
            ("submitted", SheetColumn(_("Submitted in the quarter"), 14, "number")),
            ("median", SheetColumn(_("Median score"), 12, "number")),
            *(
                (f"score_{b.key}", SheetColumn(_("Score %(band)s", band=b.label), 12, "number"))
                for b in SCORE_BANDS
            ),
            ("critical_gap_share", SheetColumn(_("With a critical gap (%)"), 14, "number")),
        ],
        rows,
    )


def grant_tables(pack: GrantPack, scope: str, generated: str) -> list[Table]:
    """The grant-reporting pack as sheets: what it is, the measures (every organization, the
    government bodies, then by kind of entity and by rural or metro county — a group of fewer
    than 5 organizations not broken down), and one row per organization (for the coordinator's
    own use: it names each organization's weaknesses)."""
    about: list[list[Any]] = [
        [_("Marking"), _("SENSITIVE — NOT FOR PUBLIC RELEASE. The Organizations sheet names "
                          "each organization's gaps: for the coordinator's own use, not for "
                          "attachment.")],
        [_("Scope"), scope],
        [_("Period"), pack.period.label],
        [_("Generated"), generated],
        [_("Program"), _("State and Local Cybersecurity Grant Program, Assistance Listing "
                         "97.137")],
        [_("Counting"), _("Each organization once, whatever its sectors. A group of fewer than "
                          "5 organizations is not broken down (k ≥ 5).")],
        [_("Rural"), _(RURAL_DEFINITION)],
        [_("Median CPG adoption level"),
         "" if pack.cpg_median is None else f"{pack.cpg_median} %"],
        [_("Source"), _("Readiness Portal self-assessments (answers as submitted).")],
    ]  # fmt: skip
    measure_rows: list[list[Any]] = []
    for group in rows_of_groups(pack):
        for m in group.measures:
            if group.shown and m.shown:
                measure_rows.append(
                    [group.label, group.organizations, m.label, m.count, m.base, m.share,
                     m.not_asked, m.definition]
                )  # fmt: skip
            else:
                why = (
                    _(
                        "Withheld: with it, a group of fewer than 5 could be worked out by "
                        "subtraction."
                    )
                    if group.withheld
                    else _(
                        "Too few to show: fewer than %(min)s organizations behind it.",
                        min=MIN_PEERS,
                    )
                )
                measure_rows.append(
                    [group.label, group.organizations, m.label, None, None, None, None, why]
                )
    organization_rows = [
        [r.id, r.name, r.state, r.county, r.county_fips or "",
         "" if r.rural is None else _yes_no(r.rural), "; ".join(r.sectors),
         r.ownership, ENTITY_LABELS[r.entity], _yes_no(r.assessed_in_period),
         r.reported_on, r.score, r.critical_gaps, r.tabletop, r.operations, r.full_scale,
         r.phishing, r.role_based, r.awareness, r.cpg_met, r.cpg_answered, r.cpg_share]
        for r in pack.organizations
    ]  # fmt: skip
    return [
        _table(
            _("About"),
            [("item", SheetColumn(_("Item"), 26)), ("value", SheetColumn(_("Value"), 90))],
            about,
        ),
        _table(
            _("Measures"),
            [
                ("group", SheetColumn(_("Group"), 30)),
                ("organizations", SheetColumn(_("Organizations in the group"), 14, "number")),
                ("measure", SheetColumn(_("Measure"), 44)),
                ("count", SheetColumn(_("Organizations"), 14, "number")),
                ("base", SheetColumn(_("Out of"), 10, "number")),
                ("share", SheetColumn(_("Share (%)"), 10, "number")),
                ("not_asked", SheetColumn(_("Not asked"), 10, "number")),
                ("definition", SheetColumn(_("Definition"), 90)),
            ],
            measure_rows,
        ),
        _table(
            _("Organizations"),
            [
                ("id", SheetColumn(_("Id"), 8, "number")),
                ("name", SheetColumn(_("Organization"), 36)),
                ("state", SheetColumn(_("State"), 7)),
                ("county", SheetColumn(_("County"), 18)),
                ("county_fips", SheetColumn(_("County FIPS"), 11)),
                ("rural", SheetColumn(_("Rural"), 7)),
                ("sectors", SheetColumn(_("Sectors"), 18)),
                ("ownership", SheetColumn(_("Ownership"), 12)),
                ("entity", SheetColumn(_("Kind of entity"), 24)),
                ("assessed_in_period", SheetColumn(_("Assessed in the period"), 12)),
                ("reported_on", SheetColumn(_("Reporting assessment of"), 14, "date")),
                ("score", SheetColumn(_("Score"), 8, "number")),
                ("critical_gaps", SheetColumn(_("Critical gaps"), 10, "number")),
                ("tabletop", SheetColumn(_("Tabletop exercise, 12 months"), 14)),
                ("operations", SheetColumn(_("Operations-based exercise, 12 months"), 14)),
                ("full_scale", SheetColumn(_("Full-scale exercise, 12 months"), 14)),
                ("phishing", SheetColumn(_("Phishing training, 12 months"), 14)),
                ("role_based", SheetColumn(_("Role-based training"), 14)),
                ("awareness", SheetColumn(_("Awareness training, all staff"), 14)),
                ("cpg_met", SheetColumn(_("CPG goals met"), 10, "number")),
                ("cpg_answered", SheetColumn(_("CPG goals answered"), 10, "number")),
                ("cpg_share", SheetColumn(_("CPG adoption level (%)"), 12, "number")),
            ],
            organization_rows,
        ),
    ]


def _yes_no(value: bool) -> str:
    """A yes/no cell in the reader's language ("yes", "sí")."""
    return _("yes") if value else _("no")


def exposure_table(user: User) -> Table:
    rows = (
        (o.id, o.name, o.state, o.county, "; ".join(o.products),
         _yes_no(o.internet_facing), _yes_no(o.managed_by_msp))
        for o in jurisdiction.all_affected(user)
    )  # fmt: skip
    return _table(_("Exposure"), EXPOSURE_COLUMNS, rows)


# --- OSCAL, a jurisdiction at a time ------------------------------------------------------


def oscal_zip(chosen: list[tuple[int, int]], *, filters: str) -> IO[bytes]:
    """A ZIP of the OSCAL assessment results and POA&M of the ``chosen`` assessments (assessment
    id, organization id), written to a temporary file (on disk past a few megabytes) one
    assessment at a time, read from its start. Nothing of one assessment is kept for the next
    (the session holds loaded rows only while they are referenced). Audited once made: each
    organization's trail shows its data left in the jurisdiction's file."""
    ids = [assessment_id for assessment_id, _unused in chosen]
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for assessment in _each(ids):
                state = assessment_state.load(assessment)
                for name in ("oscal-assessment-results.json", "oscal-poam.json"):
                    plan_file = FILES[name]
                    body = plan_file.make(state)
                    assert isinstance(body, bytes)
                    archive.writestr(plan_file.name_for(assessment), body)
    except BaseException:
        out.close()
        raise
    for assessment_id, organization_id in chosen:
        audit.record("assessment.plan_downloaded", object_type="Assessment",
                     object_id=assessment_id, organization_id=organization_id,
                     format="oscal-zip")  # fmt: skip
    audit.record("review.oscal_exported", object_type="Queue", rows=len(chosen),
                 filters=filters[:500])  # fmt: skip
    out.seek(0)
    return out


def _each(ids: list[int]) -> Iterator[Assessment]:
    for assessment_id in ids:
        assessment = db.session.scalar(
            sa.select(Assessment)
            # Accepted still (defence in depth: the ids were chosen a moment ago).
            .where(Assessment.id == assessment_id, Assessment.status == AssessmentStatus.ACCEPTED)
            .options(
                orm.joinedload(Assessment.organization),
                orm.joinedload(Assessment.questionnaire_version),
            )
        )
        if assessment is not None:
            yield assessment
