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
from datetime import date
from functools import cache
from importlib import metadata
from typing import IO, Any

from flask import Response, current_app
from flask_babel import gettext as _

from portal import audit
from portal.assessments import state as assessment_state
from portal.assessments.state import AssessmentState
from portal.exports import oscal, word
from portal.exports.download import download
from portal.exports.workbook import MIMETYPE as XLSX
from portal.exports.workbook import Kind, Sheet, SheetColumn, workbook
from portal.extensions import db
from portal.models import Assessment, utcnow
from portal.remediation.document import PLAN_ROW_LABELS, plan_rows
from portal.remediation.planner import WINDOWS
from portal.reports.charts import priority_png
from portal.reports.documents import plan_document_of
from portal.templating import viewer_time_zone, window_due_date

JSON = "application/json"


@dataclass(frozen=True)
class PlanFile:
    filename: str  # with {org} and {id}: the organization's and the assessment's numbers
    mimetype: str
    make: Callable[[AssessmentState], bytes | IO[bytes]]
    label: str  # what the audit row calls it

    def name_for(self, assessment: Assessment) -> str:
        return self.filename.format(org=assessment.organization_id, id=assessment.id)


def _plan_docx(state: AssessmentState, *, include_answers: bool = False) -> bytes:
    png, alt = priority_png(state.questionnaire, state.result)
    return word.plan_docx(plan_document_of(state, include_answers=include_answers), png, alt)


def _plan_with_answers_docx(state: AssessmentState) -> bytes:
    return _plan_docx(state, include_answers=True)


def _board_docx(state: AssessmentState) -> bytes:
    return word.board_docx(plan_document_of(state))


# The plan's rows (remediation.document.plan_rows) as a sheet: labels from the document, widths
# and cell types here.
_WIDTHS_AND_KINDS: tuple[tuple[int, Kind], ...] = (
    (5, "number"), (60, "text"), (16, "text"), (9, "text"), (22, "text"), (9, "text"),
    (9, "text"), (12, "date"), (30, "text"), (30, "text"),
)  # fmt: skip


def plan_columns() -> tuple[SheetColumn, ...]:
    """The sheet's columns, their labels in the reader's language (marked in the document)."""
    return tuple(
        SheetColumn(_(label) if label != "#" else label, width, kind)
        for label, (width, kind) in zip(PLAN_ROW_LABELS, _WIDTHS_AND_KINDS, strict=True)
    )


def window_ends(assessment: Assessment) -> dict[int, date]:
    """The last day of each of the plan's windows, on the organization's clock."""
    return {window: window_due_date(assessment, window) for window in WINDOWS}


def _sheet_rows(state: AssessmentState) -> Iterator[Sequence[Any]]:
    for row in plan_rows(state.plan, window_ends(state.assessment)):
        yield (row.number, row.action, row.window, row.critical, row.owner, row.effort,
               row.cost, row.due, row.status, row.question_id)  # fmt: skip


def _plan_xlsx(state: AssessmentState) -> IO[bytes]:
    name = state.assessment.organization.name
    return workbook(
        [Sheet(_("Plan"), plan_columns(), _sheet_rows(state))],
        title=_("Remediation plan — %(name)s", name=name),
        zone=viewer_time_zone(),
    )


@cache
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
    "plan.docx": PlanFile("remediation-plan-{org}-{id}.docx", word.MIMETYPE, _plan_docx, "docx"),
    "plan-with-answers.docx": PlanFile(
        "remediation-plan-{org}-{id}-with-answers.docx",
        word.MIMETYPE,
        _plan_with_answers_docx,
        "docx-with-answers",
    ),
    "board-summary.docx": PlanFile(
        "board-summary-{org}-{id}.docx", word.MIMETYPE, _board_docx, "board-docx"
    ),
    "plan.xlsx": PlanFile("remediation-plan-{org}-{id}.xlsx", XLSX, _plan_xlsx, "xlsx"),
    "oscal-assessment-results.json": PlanFile(
        "assessment-results-{org}-{id}.oscal.json",
        JSON,
        _oscal(oscal.assessment_results),
        "oscal-assessment-results",
    ),
    "oscal-poam.json": PlanFile(
        "poam-{org}-{id}.oscal.json", JSON, _oscal(oscal.poam), "oscal-poam"
    ),
}


def send(assessment: Assessment, name: str) -> Response:
    """The file ``name`` of a submitted assessment, audited as the PDF is (made, then the audit
    row committed, then sent)."""
    plan_file = FILES[name]
    body = plan_file.make(assessment_state.load(assessment))
    audit.record_for(assessment, "assessment.plan_downloaded", format=plan_file.label)
    db.session.commit()
    return download(body, plan_file.name_for(assessment), plan_file.mimetype)


# The files' addresses as a route's ``any`` converter takes them.
NAMES = ", ".join(f"'{name}'" for name in FILES)
