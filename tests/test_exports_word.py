"""The plan and the board summary as Word documents, downloaded as people get them and opened
with python-docx: the same parts in the same order as the PDF of the same assessment, and what
Word's accessibility checker looks for (headings, table header rows, alternative text, language,
title), checked in code."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from portal.questionnaire.model import Question
from tests.factories import World, submit_assessment
from tests.kev.catalogs import submit_hospital
from tests.reports.canary import hostile_strings
from tests.web import login, pages_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def body_text(word: DocxDocument) -> str:
    """Every paragraph's and table cell's text in the order Word shows them, spaces folded."""
    parts = []
    for block in word.element.body.iterchildren():
        if block.tag in (qn("w:p"), qn("w:tbl")):
            parts.append("".join(node.text or "" for node in block.iter(qn("w:t"))))
            parts.append(" ")
    return " ".join("".join(parts).split())


def in_order(text: str, pieces: list[str]) -> list[str]:
    """The pieces not found in ``text`` in the given order (an empty list: all in order)."""
    missing, at = [], 0
    for piece in pieces:
        found = text.find(piece, at)
        if found < 0:
            missing.append(piece)
        else:
            at = found + len(piece)
    return missing


def test_the_word_plan_says_what_the_pdf_says_in_the_same_order(
    app: Flask, client: FlaskClient, world: World, pdf_cache: Any
) -> None:
    assessment_id = submit_hospital(app, client, world)
    response = client.get(f"/assessments/{assessment_id}/plan.docx")
    assert response.status_code == 200
    assert response.mimetype == DOCX
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="remediation-plan-{world.org_a}-{assessment_id}.docx"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    word = Document(io.BytesIO(response.get_data()))
    text = body_text(word)

    pdf = " ".join(pages_text(client.get(f"/assessments/{assessment_id}/plan.pdf").get_data()))
    with app.test_request_context():
        from portal.assessments import state
        from portal.extensions import db
        from portal.models import Assessment
        from portal.reports.documents import plan_document_of

        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        doc = plan_document_of(state.load(assessment))
    assert doc.schedule is not None and doc.exploited is not None and doc.services is not None
    # What a reader scans for, part by part: headings, every action's number and title, each
    # exploited product, each service.
    pieces = [doc.cover.title, doc.board.heading, doc.board.first_five_heading, doc.scores.heading]
    pieces += [doc.schedule.heading]
    for window in doc.schedule.windows:
        pieces.append(window.heading)
        pieces += [action.title for action in window.actions]
    pieces += [doc.exploited.heading, *[p.name for p in doc.exploited.items]]
    pieces += [doc.services.heading, *[s.name for s in doc.services.linked]]
    assert in_order(text, pieces) == []
    # The PDF breaks lines and hyphenates; its text is compared on the shorter pieces.
    assert in_order(pdf, [p for p in pieces if len(p) < 60]) == []
    actions = [a for w in doc.schedule.windows for a in w.actions]
    assert len(actions) >= 10

    # Real Word headings in the plan's outline.
    headings = [
        (p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", doc.board.heading) in headings
    assert ("Heading 1", doc.schedule.heading) in headings
    assert any(name == "Heading 2" and t.startswith("Within 30 days") for name, t in headings)
    assert [p.text for p in word.paragraphs if p.style.name == "Title"] == [doc.cover.title]

    # Actions are a Word numbered list whose numbers are the plan's: each window's list starts
    # at its first action's number.
    numbering = word.part.numbering_part.element
    starts = {}
    for num in numbering.findall(qn("w:num")):
        start = num.find(f"{qn('w:lvlOverride')}/{qn('w:startOverride')}")
        if start is not None:
            starts[num.get(qn("w:numId"))] = int(start.get(qn("w:val")))
    numbered = [
        (p._p.pPr.numPr.numId.val, p.text)
        for p in word.paragraphs
        if p.style.name == "List Number" and p._p.pPr is not None and p._p.pPr.numPr is not None
    ]
    for window in doc.schedule.windows:
        first = window.actions[0]
        num_id = next(num for num, t in numbered if t.startswith(first.title))
        assert starts[str(num_id)] == first.number, first.title

    check_accessible(word, doc.title)
    # As the PDF's pages: the organization, the document, when it was made and the marking
    # above; the questionnaire and the page below; nothing on the cover.
    section = word.sections[0]
    assert section.different_first_page_header_footer
    # The organization and the date on every page: the date the file's own cover gives (the
    # document above was made a moment later, perhaps a minute on).
    generated = next(
        p.text.removeprefix("Generated: ")
        for p in word.paragraphs
        if p.text.startswith("Generated: ")
    )
    assert section.header.paragraphs[0].text == (
        f"Alpha Hospital SENTINEL-A — Remediation plan · {generated}"
        "\tSENSITIVE — NOT FOR PUBLIC RELEASE"
    )
    assert doc.running.head.startswith("Alpha Hospital SENTINEL-A — Remediation plan · ")
    assert section.footer.paragraphs[0].text.startswith("Questionnaire 2026.")
    assert "PAGE" in section.footer._element.xml and "NUMPAGES" in section.footer._element.xml
    assert not section.first_page_header.paragraphs[0].text
    # Links are Word hyperlinks to the free resources.
    targets = [r.target_ref for r in word.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert any(t.startswith("https://") for t in targets)


def check_accessible(word: DocxDocument, title: str) -> None:
    """What Word's accessibility checker reports as errors, checked in code: a title and a
    language, headings, every table with a header row, every picture with alternative text."""
    assert word.core_properties.title == title
    assert word.core_properties.language == "en-US"
    defaults = word.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")  # type: ignore[union-attr]
    assert lang is not None and lang.get(qn("w:val")) == "en-US"
    assert any(p.style.name.startswith("Heading") for p in word.paragraphs)
    for table in word.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert all(cell.text.strip() for cell in table.rows[0].cells)  # a heading in each
    pictures = word.element.body.findall(f".//{qn('wp:docPr')}")
    for picture in pictures:
        assert len(picture.get("descr", "")) > 40


def test_the_board_summary_is_the_cover_and_the_boards_part(
    app: Flask, client: FlaskClient, world: World
) -> None:
    assessment_id = submit_hospital(app, client, world)
    response = client.get(f"/assessments/{assessment_id}/board-summary.docx")
    assert response.status_code == 200
    word = Document(io.BytesIO(response.get_data()))
    text = body_text(word)
    assert word.core_properties.title.startswith("Cyber readiness summary for the board — Alpha")
    check_accessible(word, word.core_properties.title)
    assert "Summary for the board" in text and "What we ask of the board" in text
    # Its own cover: no list of the plan's parts it does not hold.
    assert [p.text for p in word.paragraphs if p.style.name == "Title"] == ["Summary for the board"]
    assert "In this plan:" not in text
    assert "The 30/60/90-day plan" not in text  # the board's part only
    count = int(re.search(r"(\d+) critical gaps", text).group(1))  # type: ignore[union-attr]
    assert f"The {count} critical gaps: close these first" in text
    # The coordinator of the organization's state gets the same file from the review page.
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = coordinator.get(f"/review/assessments/{assessment_id}").get_data(as_text=True)
    assert f"/assessments/{assessment_id}/board-summary.docx" in page
    same = coordinator.get(f"/assessments/{assessment_id}/board-summary.docx")
    assert body_text(Document(io.BytesIO(same.get_data()))) == text


def test_hostile_text_is_kept_as_text_and_the_file_opens_again(
    app: Flask, client: FlaskClient, world: World
) -> None:
    canary = "http://canary.invalid"
    hostile = hostile_strings(canary)
    notes = {
        "core.security_lead": "=cmd|' /C calc'!A0 \x01\x02\x1b[31m bell\x07 \ufffe" + hostile[0],
        "core.asset_inventory": "\u202eright-to-left \u05e9\u05dc\u05d5\u05dd 🚑🔒 " * 3000,
        "core.security_policy": "x" * 100_000,
    }
    assessment_id = submit_assessment(app, world, notes=notes, org_name="Alpha \x0b🏥 <b>=1+1</b>")
    login(client, world.operator_a)
    for name in ("plan.docx", "board-summary.docx", "plan-with-answers.docx"):
        response = client.get(f"/assessments/{assessment_id}/{name}")
        assert response.status_code == 200, name
        data = response.get_data()
        word = Document(io.BytesIO(data))  # opens again in its own library
        assert "Alpha 🏥 <b>=1+1</b>" in word.sections[0].header.paragraphs[0].text
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            assert not any(n.endswith((".bin", "vbaProject.bin")) for n in package.namelist())
            # Markup in a note is text, never a link or a picture fetched from elsewhere.
            assert canary.encode() not in package.read("word/_rels/document.xml.rels")
    # The notes are in the appendix of every answer: as typed, less what XML cannot hold; the
    # 100 KB note cut where the PDF cuts it.
    text = body_text(Document(io.BytesIO(data)))
    assert "Note: =cmd|' /C calc'!A0 [31m bell" in text and hostile[0] in text
    assert "\u202eright-to-left \u05e9\u05dc\u05d5\u05dd 🚑🔒" in text
    assert "x" * 1900 in text and "x" * 2100 not in text
    assert "(shortened here; the full note is in the portal)" in text


def test_with_no_gaps_the_files_are_short_and_say_so(
    app: Flask, client: FlaskClient, world: World
) -> None:
    def best(question: Question) -> str:
        return max(question.options, key=lambda o: o.points or 0).value

    assessment_id = submit_assessment(app, world, answer=best)
    login(client, world.operator_a)
    word = Document(io.BytesIO(client.get(f"/assessments/{assessment_id}/plan.docx").get_data()))
    text = body_text(word)
    assert "No gaps were found." in text and "The 30/60/90-day plan" not in text
    check_accessible(word, word.core_properties.title)
    book = load_workbook(
        io.BytesIO(client.get(f"/assessments/{assessment_id}/plan.xlsx").get_data())
    )
    assert book["Plan"].max_row == 1  # the header alone


SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed here")
def test_libreoffice_opens_the_word_plan_and_the_spreadsheet(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    """Run where LibreOffice is installed (`apt install libreoffice-writer-nogui
    libreoffice-calc-nogui`); CI does not install it."""
    assessment_id = submit_hospital(app, client, world)
    for name in ("plan.docx", "plan.xlsx"):
        (tmp_path / name).write_bytes(client.get(f"/assessments/{assessment_id}/{name}").get_data())
    profile = tmp_path / "profile"
    for source, target in (("plan.docx", "pdf"), ("plan.xlsx", "csv")):
        subprocess.run(
            [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", target, "--outdir", str(tmp_path), str(tmp_path / source)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    pages = pages_text((tmp_path / "plan.pdf").read_bytes())
    assert len(pages) >= 10 and "Alpha Hospital SENTINEL-A" in pages[0]
    assert "Page 2 of" in pages[1]  # Word fields, counted by LibreOffice
    rows = (tmp_path / "plan.csv").read_text().splitlines()
    assert rows[0].startswith("#,Action,Window") and len(rows) > 10


def test_a_draft_has_no_word_plan_and_strangers_get_none(
    app: Flask, client: FlaskClient, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    stranger = app.test_client()
    login(stranger, world.operator_b)
    assert stranger.get(f"/assessments/{assessment_id}/plan.docx").status_code == 404
    other_state = app.test_client()
    login(other_state, world.coordinator_y)
    assert other_state.get(f"/assessments/{assessment_id}/board-summary.docx").status_code == 404
    login(client, world.operator_a)
    with app.app_context():
        from portal.assessments import lifecycle
        from portal.extensions import db
        from portal.models import Assessment, Organization, User

        organization = db.session.get(Organization, world.org_a)
        user = db.session.scalar(db.select(User).where(User.email == world.operator_a))
        assert organization is not None and user is not None
        draft = lifecycle.start(organization, user)
        db.session.commit()
        draft_id = draft.id
        assert db.session.get(Assessment, draft_id) is not None
    response = client.get(f"/assessments/{draft_id}/plan.docx")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assessments/{draft_id}/review")
