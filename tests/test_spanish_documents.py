"""The plan's files in Spanish (#35): the PDF (with its board summary), the Word plan and board
summary, the spreadsheet, the OSCAL files' human-readable text and the calendar — in the
language asked for at download, else the organization's. Read back with pypdf, python-docx,
openpyxl, json and icalendar, and searched for English words as the pages are
(tests/test_spanish_pages.py). The realistic hospital: its products matched against CISA's
catalog, so the plan holds known-exploited flaws, end-of-life lines and services."""

from __future__ import annotations

import io
import json
from typing import Any

import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import KevEntry, Organization
from tests.factories import World
from tests.kev.catalogs import submit_hospital
from tests.test_spanish_pages import english_words
from tests.web import pages_text


def _words(text: str) -> list[str]:
    return english_words(f"<p>{text}</p>")


def _word_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return " ".join(parts)


def _oscal_text(value: Any) -> list[str]:
    """The OSCAL document's words a person reads (titles, descriptions, remarks)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("title", "description", "remarks") and isinstance(item, str):
                found.append(item)
            else:
                found += _oscal_text(item)
    elif isinstance(value, list):
        for item in value:
            found += _oscal_text(item)
    return found


def test_every_file_of_the_plan_reads_in_spanish_when_asked_or_by_default(
    app: Flask, client: FlaskClient, world: World, pdf_cache: object
) -> None:
    aid = submit_hospital(app, client, world)  # signed in as the hospital's operator
    base = f"/assessments/{aid}"
    english_pdf = " ".join(pages_text(client.get(f"{base}/plan.pdf").get_data()))
    pdf = " ".join(pages_text(client.get(f"{base}/plan.pdf?language=es").get_data()))
    assert "Resumen para la junta" in pdf or "junta" in pdf
    assert _words(pdf) == []
    assert english_pdf != pdf and "board" in english_pdf.lower()  # the English one is cached apart

    for name in ("plan.docx", "board-summary.docx"):
        text = _word_text(client.get(f"{base}/{name}?language=es").get_data())
        assert _words(text) == [], name

    sheet = load_workbook(io.BytesIO(client.get(f"{base}/plan.xlsx?language=es").get_data()))
    cells = " ".join(
        str(c.value) for ws in sheet.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    assert _words(cells) == []

    # CISA's own descriptions of a flaw are English and stay so (OSCAL has no field to say a
    # text's language); everything the portal writes is Spanish.
    with app.app_context():
        cisa = set(db.session.scalars(sa.select(KevEntry.short_description)))
        names = sorted(db.session.scalars(sa.select(KevEntry.vulnerability_name)), key=len)
    for name in ("oscal-assessment-results.json", "oscal-poam.json"):
        document = json.loads(client.get(f"{base}/{name}?language=es").get_data())
        ours = " ".join(text for text in _oscal_text(document) if text not in cisa)
        for title in reversed(names):  # the longest first
            ours = ours.replace(title, " ")
        assert _words(ours.replace("back-matter", "")) == [], name

    calendar = Calendar.from_ical(client.get(f"{base}/plan.ics?language=es").get_data())
    summaries = " ".join(
        str(event.get("summary")) + " " + str(event.get("description"))
        for event in calendar.walk("VEVENT")
    )
    assert summaries and _words(summaries) == []

    # The organization's language is the default (the PDFs made above come from the cache);
    # an English reader may still ask for English; a code nobody offers is no error.
    with app.app_context():
        db.session.get_one(Organization, world.org_a).language = "es"
        db.session.commit()
    spanish = " ".join(pages_text(client.get(f"{base}/plan.pdf").get_data()))
    assert spanish == pdf
    english = " ".join(pages_text(client.get(f"{base}/plan.pdf?language=en").get_data()))
    assert english == english_pdf and _words(english) != []
    odd = client.get(f"{base}/plan.pdf?language=xx")
    assert odd.status_code == 200 and " ".join(pages_text(odd.get_data())) == pdf
