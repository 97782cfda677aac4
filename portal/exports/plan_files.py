"""The files made from one submitted assessment's plan, other than the PDF: the Word plan and
board summary, the plan as spreadsheet rows, and the OSCAL assessment results and POA&M.

One table, :data:`FILES`, names each: its address (the last part of the URL), its download name,
its type and the function that makes it from the assessment's state. The view that answers them
is one line; the formats live in their own modules (word, workbook, oscal), each taking the
content model — the plan's words come from ``remediation.document`` alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import IO, Any

from flask import Response, current_app

from portal import audit
from portal.assessments import state as assessment_state
from portal.assessments.state import AssessmentState
from portal.exports import oscal, word
from portal.exports.download import download
from portal.exports.workbook import MIMETYPE as XLSX
from portal.exports.workbook import Sheet, SheetColumn, workbook
from portal.extensions import db
from portal.models import Assessment, utcnow
from portal.remediation.document import action_numbers
from portal.reports.charts import priority_png
from portal.reports.documents import plan_document_of
from portal.templating import viewer_time_zone, window_due_date

JSON = "application/json"


@dataclass(frozen=True)
class PlanFile:
    filename: str  # with {id}: the assessment's number
    mimetype: str
    make: Callable[[AssessmentState], bytes | IO[bytes]]
    label: str  # what the audit row calls it


def _plan_docx(state: AssessmentState) -> bytes:
    png, alt = priority_png(state.questionnaire, state.result)
    return word.plan_docx(plan_document_of(state), png, alt)


def _board_docx(state: AssessmentState) -> bytes:
    return word.board_docx(plan_document_of(state))


PLAN_COLUMNS = (
    SheetColumn("#", 5, "number"),
    SheetColumn("Action", 60),
    SheetColumn("Window", 16),
    SheetColumn("Critical", 9),
    SheetColumn("Owner", 22),
    SheetColumn("Effort", 9),
    SheetColumn("Cost", 9),
    SheetColumn("Due date", 12, "date"),
    SheetColumn("Status", 30),
    SheetColumn("Question", 30),
)


def plan_rows(state: AssessmentState) -> Iterator[Sequence[Any]]:
    """The plan's actions as rows, numbered and ordered as in the plan: window by window, then
    the backlog. A known-exploited product's action counts its catalog entries settled so far."""
    plan = state.plan
    numbers = action_numbers(plan)
    ordered = sorted(plan.actions, key=lambda a: numbers[a.rank])
    for planned in ordered:
        window = planned.window
        due = window_due_date(state.assessment, window) if window else None
        if planned.due_on and (due is None or planned.due_on < due):
            due = planned.due_on
        status = "Open"
        if planned.kev and planned.kev.entries:
            settled = len(planned.kev.settled_entries)
            status = f"Open: {settled} of {len(planned.kev.entries)} flaws settled"
        yield (
            numbers[planned.rank],
            ("If the check finds it: " if planned.conditional else "") + planned.action.title,
            f"Within {window} days" if window else "Backlog",
            "Critical" if planned.critical else "",
            planned.action.owner_label,
            planned.action.effort,
            planned.action.cost,
            due,
            status,
            planned.question_id,
        )


def _plan_xlsx(state: AssessmentState) -> IO[bytes]:
    name = state.assessment.organization.name
    return workbook(
        [Sheet("Plan", PLAN_COLUMNS, plan_rows(state))],
        title=f"Remediation plan — {name}",
        zone=viewer_time_zone(),
    )


def portal_version() -> str:
    try:
        return metadata.version("readiness-portal")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


def _oscal(build: Callable[..., dict[str, Any]]) -> Callable[[AssessmentState], bytes]:
    """An OSCAL builder of portal/exports/oscal.py as a JSON file: ids in this deployment's
    namespace, the portal's and the KEV catalog's versions in its metadata."""

    def make(state: AssessmentState) -> bytes:
        document = build(
            state,
            namespace=oscal.namespace_for(current_app.config["PORTAL_BASE_URL"]),
            portal_version=portal_version(),
            kev_version=oscal.kev_catalog_version(),
            generated=utcnow(),
        )
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()

    return make


FILES: dict[str, PlanFile] = {
    "plan.docx": PlanFile("cyber-plan-{id}.docx", word.MIMETYPE, _plan_docx, "docx"),
    "board-summary.docx": PlanFile(
        "board-summary-{id}.docx", word.MIMETYPE, _board_docx, "board docx"
    ),
    "plan.xlsx": PlanFile("cyber-plan-{id}.xlsx", XLSX, _plan_xlsx, "xlsx"),
    "oscal-assessment-results.json": PlanFile(
        "assessment-results-{id}.oscal.json", JSON, _oscal(oscal.assessment_results), "oscal-ar"
    ),
    "oscal-poam.json": PlanFile("poam-{id}.oscal.json", JSON, _oscal(oscal.poam), "oscal-poam"),
}


def send(assessment: Assessment, name: str) -> Response:
    """The file ``name`` of a submitted assessment, audited like the PDF (and committed first)."""
    plan_file = FILES[name]
    body = plan_file.make(assessment_state.load(assessment))
    audit.record_for(assessment, "assessment.exported", format=plan_file.label)
    db.session.commit()
    return download(body, plan_file.filename.format(id=assessment.id), plan_file.mimetype)


# The files' addresses as a route's ``any`` converter takes them.
NAMES = ", ".join(f"'{name}'" for name in FILES)
