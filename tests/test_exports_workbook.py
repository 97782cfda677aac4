"""Spreadsheets as coordinators and operators get them, opened with openpyxl: typed cells, a
frozen header row, filters and widths; text that looks like a formula stays text; the rows are
the same as the CSV's and the plan's."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal.exports import coordinator
from portal.exports.workbook import Sheet, SheetColumn, workbook
from portal.extensions import db
from tests.factories import World, submit_assessment, submit_for_b
from tests.kev.catalogs import submit_hospital
from tests.oscal_validator import validate
from tests.web import csrf_token, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = '=HYPERLINK("http://evil.example","SENTINEL-A")'


def opened(data: bytes) -> dict[str, Worksheet]:
    book = load_workbook(io.BytesIO(data))  # opens again in its own library
    return {sheet.title: sheet for sheet in book.worksheets}


def rows(sheet: Worksheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def check_sheet(sheet: Worksheet) -> None:
    """What every sheet has: a bold header row that stays in view, filters over the data,
    column widths."""
    assert sheet.freeze_panes == "A2"
    assert (
        sheet.auto_filter.ref
        == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
    )
    assert all(cell.font.b for cell in sheet[1])
    assert all(sheet.column_dimensions[c.column_letter].width for c in sheet[1])


def rename(app: Flask, organization_id: int, name: str) -> None:
    with app.app_context():
        from portal.models import Organization

        organization = db.session.get(Organization, organization_id)
        assert organization is not None
        organization.name = name
        organization.name_key = name.casefold()
        db.session.commit()


def test_queue_spreadsheet_is_typed_scoped_and_formula_safe(app: Flask, world: World) -> None:
    rename(app, world.org_a, FORMULA + "\x01\x1b")
    first = submit_assessment(app, world)
    submit_for_b(app, world)
    x = app.test_client()
    login(x, world.coordinator_x)
    response = x.get("/review/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == 'attachment; filename="review-queue.xlsx"'
    assert response.headers["Cache-Control"] == "private, no-store"
    sheet = opened(response.get_data())["Queue"]
    check_sheet(sheet)
    table = rows(sheet)
    assert table[0][:3] == ["Assessment", "Organization", "State"]
    assert table[0][7] == "Submitted (America/New_York)"  # Ohio's coordinator's clock
    assert len(table) == 2  # Lake County, Indiana's water system is not Ohio's
    assessment_id, name, *_ = table[1]
    assert assessment_id == first  # a number, not text
    # The name as typed (less the control characters), as text: a string cell, with the
    # quote prefix that keeps it text when someone edits it.
    assert name == FORMULA
    cell = sheet.cell(2, 2)
    assert cell.data_type == "s" and cell.quotePrefix
    assert (
        isinstance(table[1][7], datetime) and sheet.cell(2, 8).number_format == "yyyy-mm-dd hh:mm"
    )
    assert isinstance(table[1][8], int) and isinstance(table[1][10], int)
    # The same rows as the CSV.
    csv_text = x.get("/review/export.csv").get_data(as_text=True)
    assert f"\r\n{first},\"'=HYPERLINK(" in csv_text
    # Filters apply as on the page; a bad filter is a clear page, not a file.
    assert len(rows(opened(x.get("/review/export.xlsx?sector=water").get_data())["Queue"])) == 1
    assert x.get("/review/export.xlsx?sector=nuclear").status_code == 400
    # A raw sheet keeps no formula anywhere.
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")


def test_dashboard_spreadsheet_has_each_table_as_a_sheet(app: Flask, world: World) -> None:
    submit_assessment(app, world)
    submit_for_b(app, world)
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get("/review/dashboard").get_data(as_text=True)
    assert "/review/dashboard.xlsx" in page
    sheets = opened(x.get("/review/dashboard.xlsx").get_data())
    assert list(sheets) == [
        "Status",
        "Counties",  # the county map's figures, for the state chosen (#33)
        "Sectors",
        "Weakest priorities",
        "Critical gaps",
        "Tool requests",
    ]
    for sheet in sheets.values():
        check_sheet(sheet)
    assert dict(rows(sheets["Status"])[1:]) == {
        "not started": 0, "draft": 0, "submitted": 1, "accepted": 0,
    }  # fmt: skip
    sector = rows(sheets["Sectors"])
    assert sector[1][0] == "hospital" and isinstance(sector[1][2], int)
    assert "water" not in str(rows(sheets["Weakest priorities"]))  # Indiana's, not Ohio's
    critical = rows(sheets["Critical gaps"])
    assert critical[0] == ["Question id", "Question", "Organizations"] and len(critical) > 1


def test_the_plans_actions_as_rows(app: Flask, client: FlaskClient, world: World) -> None:
    assessment_id = submit_hospital(app, client, world)
    response = client.get(f"/assessments/{assessment_id}/plan.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = opened(response.get_data())["Plan"]
    check_sheet(sheet)
    table = rows(sheet)
    header, body = table[0], table[1:]
    assert header[:4] == ["#", "Action", "Window", "Critical"]
    assert [row[0] for row in body] == list(range(1, len(body) + 1))
    with app.test_request_context():
        from portal.assessments import state
        from portal.models import Assessment
        from portal.remediation.document import action_numbers
        from portal.templating import window_due_date

        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        loaded = state.load(assessment)
        numbers = action_numbers(loaded.plan)
        planned = sorted(loaded.plan.actions, key=lambda a: numbers[a.rank])
        due = {w: window_due_date(assessment, w) for w in (30, 60, 90)}
    assert [row[1] for row in body] == [
        ("If the check finds it: " if a.conditional else "") + a.action.title for a in planned
    ]
    for row, action in zip(body, planned, strict=True):
        window = action.window
        assert row[2] == (f"Within {window} days" if window else "Backlog")
        assert row[3] == ("Critical" if action.critical else None)
        expected = due[window] if window else None
        if action.due_on and (expected is None or action.due_on < expected):
            expected = action.due_on
        assert (row[7].date() if row[7] else None) == expected  # a date cell
    kev_rows = [row for row in body if str(row[8]).startswith("Open: ")]
    assert kev_rows and all(
        re.fullmatch(r"Open: \d+ of \d+ flaws? settled", str(row[8])) for row in kev_rows
    )


def test_exposure_spreadsheet(app: Flask, client: FlaskClient, world: World) -> None:
    submit_hospital(app, client, world)
    x = app.test_client()
    login(x, world.coordinator_x)
    assert "/review/exposure/affected.xlsx" in x.get("/review/exposure/").get_data(as_text=True)
    sheet = opened(x.get("/review/exposure/affected.xlsx").get_data())["Exposure"]
    check_sheet(sheet)
    table = rows(sheet)
    assert table[0][1] == "Organization" and len(table) == 2
    assert table[1][1] == "Alpha Hospital SENTINEL-A" and table[1][5] in ("yes", "no")
    y = app.test_client()
    login(y, world.coordinator_y)
    assert len(rows(opened(y.get("/review/exposure/affected.xlsx").get_data())["Exposure"])) == 1


@pytest.mark.parametrize("text", ["+1+1", "-2+3", "@SUM(A1)", "=1+1", "\u202e🚑 right-to-left"])
def test_text_cells_stay_text(text: str) -> None:
    body = workbook(
        [
            Sheet(
                "T",
                (SheetColumn("Text"), SheetColumn("N", kind="number")),
                [(text, 5), ("x" * 40_000, None)],
            )
        ],
        title="t",
        zone=ZoneInfo("UTC"),
    )
    with body:
        sheet = opened(body.read())["T"]
    assert sheet.cell(2, 1).value == text and sheet.cell(2, 1).data_type == "s"
    assert sheet.cell(2, 2).value == 5
    long = sheet.cell(3, 1).value
    assert (
        isinstance(long, str)
        and len(long) == 32_767
        and long.endswith("(cut: the full text is in the portal)")
    )


def reassess(app: Flask, world: World) -> int:
    """The organization's next assessment (pre-filled with its last answers), submitted."""
    with app.test_request_context():
        from portal.assessments import lifecycle
        from portal.models import Organization, User

        organization = db.session.get(Organization, world.org_a)
        user = db.session.scalar(db.select(User).where(User.email == world.operator_a))
        assert organization is not None and user is not None
        assessment = lifecycle.start(organization, user)
        # Answers that go stale with time are not pre-filled (prefill: false): give them again.
        from portal.models import Answer

        previous = assessment.previous_assessment_id
        given = {a.question_id for a in assessment.answers}
        for row in db.session.scalars(db.select(Answer).where(Answer.assessment_id == previous)):
            if row.question_id not in given:
                db.session.add(
                    Answer(
                        assessment_id=assessment.id, question_id=row.question_id, value=row.value
                    )
                )
        db.session.flush()
        db.session.refresh(assessment)
        lifecycle.submit(assessment, user)
        db.session.commit()
        return assessment.id


def accept(client: FlaskClient, assessment_id: int) -> None:
    page = client.get(f"/review/assessments/{assessment_id}").get_data(as_text=True)
    response = client.post(
        f"/review/assessments/{assessment_id}/accept", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302


def test_oscal_zip_holds_each_organizations_latest_accepted_assessment(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = app.test_client()
    login(x, world.coordinator_x)
    older = submit_assessment(app, world)
    accept(x, older)
    accepted = reassess(app, world)
    accept(x, accepted)
    reassess(app, world)  # submitted since, not yet reviewed: the accepted one stays
    submit_for_b(app, world)  # Indiana's: never in Ohio's file
    response = x.get("/review/oscal.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    org = world.org_a
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert sorted(archive.namelist()) == [
            f"assessment-results-{org}-{accepted}.oscal.json",
            f"poam-{org}-{accepted}.oscal.json",
        ]
        assert archive.testzip() is None
        for name in archive.namelist():
            validate(json.loads(archive.read(name)))
    # The organization's own trail shows its data left in the jurisdiction's file.
    with app.app_context():
        from portal.models import AuditEvent

        rows = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "assessment.plan_downloaded")
        ).all()
        assert [(r.object_id, r.details["format"]) for r in rows] == [(str(accepted), "oscal-zip")]
    # Indiana's coordinator has nothing accepted: a sentence on the queue, not an empty file.
    y = app.test_client()
    login(y, world.coordinator_y)
    nothing = y.get("/review/oscal.zip")
    assert nothing.status_code == 302
    assert "select no accepted assessment" in y.get(nothing.headers["Location"]).get_data(
        as_text=True
    )
    # More than one download may hold: the coordinator is asked to filter first.
    monkeypatch.setattr(coordinator, "OSCAL_ZIP_LIMIT", 0)
    refused = x.get("/review/oscal.zip?county=Pine")
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith("/review/?county=Pine")
    assert "These filters select 1 accepted assessment; one OSCAL download holds at most 0" in (
        x.get(refused.headers["Location"]).get_data(as_text=True)
    )


def test_a_returned_assessment_has_no_files_for_its_coordinator(app: Flask, world: World) -> None:
    returned = submit_assessment(app, world)
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get(f"/review/assessments/{returned}/return").get_data(as_text=True)
    back = x.post(
        f"/review/assessments/{returned}/return",
        data={"csrf_token": csrf_token(page), "message": "Please check the backup answers."},
    )
    assert back.status_code == 302
    for name in ("plan.docx", "plan.xlsx", "oscal-poam.json"):
        response = x.get(f"/assessments/{returned}/{name}")
        assert response.status_code == 302, name
        assert response.headers["Location"].endswith(f"/review/assessments/{returned}")
