"""The remediation plan and its summary for the board as Word documents people can edit before a
board meeting — laid out from the same :class:`~portal.remediation.document.PlanDocument` as the
PDF, part by part in the same order, so no sentence of the plan is written here.

Made with python-docx (the maintained library for writing .docx from Python; it reads what it
writes, which the tests use). What Word's accessibility checker looks for is set: real heading
styles, numbered and bulleted lists as Word lists, tables with a repeating header row, the chart
as a picture with alternative text, the document's title and language. The organization's name
and the date are in every page's header, the page number in the footer.

Every string goes through :func:`portal.exports.text.xml_text`: a note may hold characters XML
cannot carry (python-docx refuses them), and they are dropped rather than the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from flask_babel import gettext as _

from portal import i18n
from portal.exports.text import xml_text
from portal.remediation.document import (
    BoardPart,
    Column,
    Cover,
    Link,
    PlanDocument,
    ServiceRow,
    Step,
)

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SMALL = Pt(9)
TAG_COLOUR = RGBColor(0xB5, 0x09, 0x09)  # the PDF's critical red, AA on white
CHART_WIDTH = Cm(16)


def plan_docx(doc: PlanDocument, chart_png: bytes, chart_alt: str) -> bytes:
    """The whole plan: cover, summary for the board, scores with the chart, and every part that
    has something to say."""
    word = _start(doc, doc.title)
    _cover(word, doc.cover)
    _board(word, doc.board)
    _scores(word, doc, chart_png, chart_alt)
    _schedule(word, doc)
    _exploited(word, doc)
    _find_out(word, doc)
    _services(word, doc)
    _information(word, doc)
    _backlog(word, doc)
    _appendices(word, doc)
    return _save(word)


def board_docx(doc: PlanDocument) -> bytes:
    """The summary for the board on its own (two pages after its cover)."""
    word = _start(doc, doc.board_title)
    _cover(word, doc.board_cover)
    _board(word, doc.board)
    return _save(word)


# --- the document and its furniture --------------------------------------------------------


def _start(doc: PlanDocument, title: str) -> DocxDocument:
    word = Document()
    properties = word.core_properties
    properties.title = xml_text(title)
    properties.subject = xml_text(doc.description)
    properties.author = "Readiness Portal"
    properties.language = i18n.document_language()
    properties.keywords = _("cyber readiness; remediation plan; CISA CPG; NIST CSF 2.0")
    _language(word)
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    # As in the PDF: the cover has no running head; every other page names the organization
    # and the document, carries the marking, and says when it was made and its page.
    section.different_first_page_header_footer = True
    head = section.header.paragraphs[0]
    _run(head, doc.running.head, size=SMALL)
    _run(head, "\t")
    marking = head.add_run(xml_text(doc.running.marking))
    marking.bold = True
    marking.font.size = SMALL
    marking.font.color.rgb = TAG_COLOUR
    _tab_to_right(head, section)
    foot = section.footer.paragraphs[0]
    _run(foot, doc.running.foot, size=SMALL)
    _run(foot, "\t")
    _page_number(foot)
    _tab_to_right(foot, section)
    return word


def _tab_to_right(paragraph: Paragraph, section: Any) -> None:
    """One tab stop at the right margin: what follows the tab sits at the page's right. The
    Header and Footer styles' own stops (centre 3.25", right 6.5") are cleared, or a long head
    would tab to the centre stop and run into the marking."""
    stops = paragraph.paragraph_format.tab_stops
    stops.clear_all()
    for inherited in (Twips(4680), Twips(9360)):
        stops.add_tab_stop(inherited, WD_TAB_ALIGNMENT.CLEAR)
    width = section.page_width - section.left_margin - section.right_margin
    stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)


def _language(word: DocxDocument) -> None:
    """The document's language on its default run properties and on each style Word checks."""
    defaults = word.styles.element.find(qn("w:docDefaults"))
    assert defaults is not None
    run_properties = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in run_properties.findall(qn("w:lang")):
        run_properties.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), i18n.document_language())
    lang.set(qn("w:eastAsia"), i18n.document_language())
    lang.set(qn("w:bidi"), "ar-SA")
    run_properties.append(lang)


def _page_number(paragraph: Paragraph) -> None:
    """ "Page N of M" as Word fields, so Word and LibreOffice count the pages themselves. The
    sentence is translated whole; the fields take the places of its two numbers."""
    words = _("Page %(page)s of %(pages)s", page="\0PAGE\0", pages="\0NUMPAGES\0")
    for index, piece in enumerate(words.split("\0")):
        if index % 2:
            _field(paragraph, piece)
        else:
            _run(paragraph, piece, size=SMALL)


def _field(paragraph: Paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES): begin, its code, separate, a placeholder Word replaces,
    end."""
    run = paragraph.add_run()
    run.font.size = SMALL
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    placeholder = OxmlElement("w:t")
    placeholder.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.extend([begin, instruction, separate, placeholder, end])


def _save(word: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


# --- text ---------------------------------------------------------------------------------


def _run(paragraph: Paragraph, text: str, *, bold: bool = False, size: Pt | None = None) -> None:
    if not text:
        return
    run = paragraph.add_run(xml_text(text))
    run.bold = bold or None
    if size is not None:
        run.font.size = size


def _tags(paragraph: Paragraph, tags: Sequence[str]) -> None:
    for tag in tags:
        paragraph.add_run(" ")
        run = paragraph.add_run(xml_text(tag))
        run.bold = True
        run.font.size = SMALL
        run.font.color.rgb = TAG_COLOUR


def _paragraph(word: DocxDocument, text: str, *, small: bool = False, bold: bool = False) -> None:
    if text:
        _run(word.add_paragraph(), text, bold=bold, size=SMALL if small else None)


def _heading(word: DocxDocument, text: str, level: int, note: str = "") -> Paragraph:
    heading = word.add_heading(level=level)
    _run(heading, text)
    if note:
        _run(heading, f" {note}", size=SMALL)
    return heading


def _link(paragraph: Paragraph, link: Link) -> None:
    """A hyperlink Word follows (python-docx writes none itself: the relationship and the
    ``w:hyperlink`` element are added here)."""
    relationship = paragraph.part.relate_to(link.url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), relationship)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "005EA2")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.extend([style, colour, underline])
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = xml_text(link.text)
    run.extend([properties, text])
    hyperlink.append(run)
    paragraph._p.append(hyperlink)


def _links(paragraph: Paragraph, links: Iterable[Link]) -> None:
    for index, link in enumerate(links):
        if index:
            _run(paragraph, "; ", size=SMALL)
        _link(paragraph, link)


def _page_break(word: DocxDocument) -> None:
    word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


# --- lists --------------------------------------------------------------------------------


def _numbered(word: DocxDocument, start: int = 1) -> int:
    """A new numbered list, counting from ``start`` (Word continues one list across the whole
    document otherwise: the plan's "action 7" must be the seventh)."""
    numbering = word.part.numbering_part.numbering_definitions._numbering
    style = word.styles["List Number"]
    style_num = style.element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(start)
    return int(num.numId)


def _item(word: DocxDocument, list_id: int | None) -> Paragraph:
    """A list item: numbered in ``list_id``, or a bullet."""
    if list_id is None:
        return word.add_paragraph(style="List Bullet")
    item = word.add_paragraph(style="List Number")
    properties = item._p.get_or_add_pPr()
    numbering = properties.get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = list_id
    return item


def _continued(word: DocxDocument, text: str, *, bold_part: str = "") -> None:
    """A line under a list item, indented with it."""
    if not text and not bold_part:
        return
    line = word.add_paragraph(style="List Continue")
    _run(line, bold_part, bold=True, size=SMALL)
    _run(line, text, size=SMALL)


def _bullets(word: DocxDocument, lines: Iterable[str]) -> None:
    for line in lines:
        _run(_item(word, None), line)


def _numbers(word: DocxDocument, lines: Iterable[str]) -> None:
    list_id = _numbered(word)
    for line in lines:
        _run(_item(word, list_id), line)


# --- tables -------------------------------------------------------------------------------


def _table(
    word: DocxDocument, columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> DocxTable:
    """A table whose first row is its header, repeated on each page (what makes it a data table
    to a screen reader and to Word's checker)."""
    table = word.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    header = table.rows[0]
    header_properties = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_properties.append(repeat)
    for cell, column in zip(header.cells, columns, strict=True):
        _run(cell.paragraphs[0], column.label, bold=True)
    for values in rows:
        cells = table.add_row().cells
        for cell, value, column in zip(cells, values, columns, strict=True):
            _run(cell.paragraphs[0], value)
            if column.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    total = sum(c.width for c in columns)
    if total:  # the plan's proportions (LibreOffice reads the grid, Word the cells)
        table.autofit = False
        for index, column in enumerate(columns):
            width = Cm(17 * column.width / total)
            table.columns[index].width = width
            for cell in table.columns[index].cells:
                cell.width = width
    return table


# --- the parts, in the PDF's order --------------------------------------------------------


def _cover(word: DocxDocument, cover: Cover) -> None:
    _paragraph(word, cover.kicker, small=True)
    title = word.add_paragraph(style="Title")
    _run(title, cover.title)
    for fact in cover.facts:
        line = word.add_paragraph()
        _run(line, f"{fact.label}: ", bold=True)
        _run(line, fact.value)
    contents = word.add_paragraph()
    if cover.contents:
        _run(contents, f"{cover.contents_label} ", bold=True)
        _run(contents, " · ".join(cover.contents) + ". ")
    _run(contents, cover.contents_note)
    _paragraph(word, cover.marking, bold=True)
    _page_break(word)


def _board(word: DocxDocument, board: BoardPart) -> None:
    _heading(word, board.heading, 1)
    score = word.add_paragraph()
    _run(score, str(board.score), bold=True, size=Pt(20))
    extra = f" · {board.unknown_count}" if board.unknown_count else ""
    _run(score, f" / 100 · {board.tier_label} · {board.critical_count}{extra}")
    if board.headline_title:
        _paragraph(word, board.headline_title, bold=True)
        _paragraph(word, board.headline_text)
    else:
        _paragraph(word, board.headline_text, bold=True)
    if board.risks:
        _heading(word, board.risks_heading, 2)
        _numbers(word, board.risks)
    _heading(word, board.decisions_heading, 2)
    _bullets(word, board.decisions)
    _paragraph(word, board.budget_note, small=True)
    if board.done:
        _heading(word, board.done_heading, 2)
        _bullets(word, board.done)
    if board.first_five:
        _heading(word, board.first_five_heading, 2)
        _steps(word, board.first_five)
    else:
        _paragraph(word, board.no_gaps)
    if board.critical:
        _heading(word, board.critical_heading, 2)
        _bullets(word, board.critical)
    _paragraph(word, board.find_out_note, small=True)
    if board.glance:
        _heading(word, board.glance_heading, 2)
        _table(
            word,
            board.glance_columns,
            [
                (row.window + "".join(f" {t}" for t in row.tags), str(row.actions),
                 row.staff_time, row.cost)
                for row in board.glance
            ],
        )  # fmt: skip
        _paragraph(word, board.glance_note, small=True)


def _steps(word: DocxDocument, steps: Sequence[Step]) -> None:
    list_id = _numbered(word)
    for step in steps:
        item = _item(word, list_id)
        _run(item, step.title, bold=True)
        _tags(item, step.tags)
        if step.see:
            _run(item, f" {step.see}", size=SMALL)
        _continued(word, step.effort)
        _continued(word, step.how_to_check)


def _scores(word: DocxDocument, doc: PlanDocument, chart_png: bytes, chart_alt: str) -> None:
    _page_break(word)
    _heading(word, doc.scores.heading, 1)
    picture = word.add_paragraph().add_run().add_picture(io.BytesIO(chart_png), width=CHART_WIDTH)
    properties = picture._inline.docPr
    properties.set("descr", xml_text(chart_alt))
    properties.set("title", xml_text(doc.scores.heading))
    table = _table(
        word,
        doc.scores.columns,
        [(row.priority, row.score, row.rating) for row in doc.scores.rows],
    )
    for row in table.rows[1:]:  # the priority in bold, as in the PDF
        for run in row.cells[0].paragraphs[0].runs:
            run.bold = True


def _schedule(word: DocxDocument, doc: PlanDocument) -> None:
    schedule = doc.schedule
    if schedule is None:
        return
    _heading(word, schedule.heading, 1)
    _paragraph(word, schedule.intro, small=True)
    if schedule.this_week:
        _heading(word, schedule.this_week_heading, 2, schedule.this_week_note)
        _steps(word, schedule.this_week)
    for window in schedule.windows:
        _heading(word, window.heading, 2, window.note)
        list_id = _numbered(word, window.actions[0].number)
        for action in window.actions:
            item = _item(word, list_id)
            _run(item, action.title, bold=True)
            _tags(item, action.tags)
            _continued(word, action.meta)
            _continued(word, action.detail)
            _continued(word, action.flaws)
            _continued(word, action.due_reason, bold_part=action.due)
            _continued(word, action.note)
            _continued(word, action.why)
            if action.help or action.services:
                line = word.add_paragraph(style="List Continue")
                if action.help:
                    _run(line, action.help_label, size=SMALL)
                    _links(line, action.help)
                if action.services:
                    _run(line, " · " if action.help else "", size=SMALL)
                    _run(line, action.services_label + "; ".join(action.services), size=SMALL)


def _exploited(word: DocxDocument, doc: PlanDocument) -> None:
    exploited = doc.exploited
    if exploited is None:
        return
    _heading(word, exploited.heading, 1)
    _paragraph(word, exploited.intro, small=True)
    for product in exploited.items:
        heading = _heading(word, product.name, 2)
        _tags(heading, product.tags)
        line = word.add_paragraph()
        _run(line, product.listed, size=SMALL)
        _run(line, f" {product.due}" if product.due else "", bold=True, size=SMALL)
        _run(line, f" {product.support}" if product.support else "", size=SMALL)
        for flaw in product.flaws:
            item = _item(word, None)
            _run(item, flaw.cve_id, bold=True)
            _run(item, f" {flaw.text}")
        if product.more:
            _run(_item(word, None), product.more)


def _find_out(word: DocxDocument, doc: PlanDocument) -> None:
    find_out = doc.find_out
    if find_out is None:
        return
    _heading(word, find_out.heading, 1)
    _paragraph(word, find_out.intro)
    for entry in find_out.items:
        item = _item(word, None)
        _run(item, entry.question, bold=True)
        _tags(item, entry.tags)
        _continued(word, entry.how_to_check)


def _service_rows(
    word: DocxDocument, columns: Sequence[Column], rows: Sequence[ServiceRow]
) -> None:
    table = _table(word, columns, [("", "")] * len(rows))
    for row, service in zip(table.rows[1:], rows, strict=True):
        name, about = row.cells
        _run(name.paragraphs[0], service.name, bold=True)
        _run(name.add_paragraph(), service.terms, size=SMALL)
        first = about.paragraphs[0]
        _run(first, service.summary, size=SMALL)
        _run(first, f" {service.helps}" if service.helps else "", bold=True, size=SMALL)
        if service.who_can_get_it:
            _run(about.add_paragraph(), service.who_can_get_it, size=SMALL)
        apply = about.add_paragraph() if (first.text or service.who_can_get_it) else first
        _run(apply, service.how_to_apply, size=SMALL)
        if service.link:
            _run(apply, " " if service.how_to_apply else "", size=SMALL)
            _link(apply, service.link)


def _services(word: DocxDocument, doc: PlanDocument) -> None:
    services = doc.services
    if services is None:
        return
    _heading(word, services.heading, 1)
    _paragraph(word, services.intro, small=True)
    if services.linked:
        _service_rows(word, services.columns, services.linked)
    if services.others:
        _heading(word, services.others_heading, 2)
        _service_rows(word, services.columns, services.others)


def _information(word: DocxDocument, doc: PlanDocument) -> None:
    information = doc.information
    if information is None:
        return
    _heading(word, information.heading, 1)
    _paragraph(word, information.intro, small=True)
    for entry in information.items:
        item = _item(word, None)
        _run(item, entry.name, bold=True)
        _run(item, f" ({entry.provider})")
        if entry.link:
            _run(item, ": ")
            _link(item, entry.link)
        _continued(word, entry.summary)


def _backlog(word: DocxDocument, doc: PlanDocument) -> None:
    backlog = doc.backlog
    if backlog is None:
        return
    _heading(word, backlog.heading, 1)
    _paragraph(word, backlog.intro, small=True)
    _table(
        word,
        backlog.columns,
        [(str(row.number), row.action, row.effort_cost, row.who) for row in backlog.rows],
    )


def _appendices(word: DocxDocument, doc: PlanDocument) -> None:
    catalog = doc.catalog
    if catalog is not None:
        _heading(word, catalog.heading, 1)
        _paragraph(word, catalog.intro, small=True)
        _table(
            word,
            catalog.columns,
            [(f"{row.cve_id} {row.product}", row.text) for row in catalog.rows],
        )
    answers = doc.answers
    if answers is not None:
        _page_break(word)
        _heading(word, answers.heading, 1)
        table = _table(word, answers.columns, [("", "", "")] * len(answers.rows))
        for row, answer in zip(table.rows[1:], answers.rows, strict=True):
            question, value, references = row.cells
            _run(question.paragraphs[0], answer.question)
            _tags(question.paragraphs[0], answer.tags)
            if answer.note:
                _run(question.add_paragraph(), answer.note, size=SMALL)
            _run(value.paragraphs[0], answer.answer)
            _run(references.paragraphs[0], "\n".join(answer.references), size=SMALL)
