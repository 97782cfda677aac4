"""How long is the plan? Page counts of four typical organizations' plan PDFs — run by hand:
`.venv/bin/python bench/plan_pages.py [--png DIR]`.

The organizations are portal/devdata/typical.py's: a first self-assessment of a small hospital,
bank, water system and electric co-op. For each, through the real pipeline (submit, then
documents.plan_pdf as a download does), it prints the plan's pages without the answer appendix
(the target: a typical small hospital ≤ 12), the board summary's pages (target: 2), the backlog
appendix's pages, and the pages with every answer appended. With --png, every page is rendered
to PNG (pdftoppm) for looking at.

Then the four operators the #28 expert drove (tests/domain/operators.py: their answers, and the
products they run typed into the list and matched against the shipped KEV snapshot): the same
figures, with the this-week steps, the critical count and the pages the known-exploited flaws
take.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_app
from pypdf import PdfReader

from portal.devdata.typical import TYPICAL

logging.getLogger("fontTools").setLevel(logging.WARNING)


def first_page_with(reader: PdfReader, text: str) -> int | None:
    """1-based number of the first page whose text contains ``text``."""
    for number, page in enumerate(reader.pages, start=1):
        if text in " ".join(page.extract_text().split()):
            return number
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--png", type=Path, help="render every page to PNG in this folder")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="plan-pages-"))
    app = bench_app(workdir, PASSWORD_HASH_FOR_TESTS=True)
    from portal.extensions import db
    from portal.models import Assessment
    from portal.reports import documents
    from portal.scoring.headline import headline
    from tests.factories import submit_typical

    print(
        f"{'organization':<38} {'score':>5} {'actions':>7} {'in 90 d':>7} {'backlog':>7} "
        f"{'pages':>5} {'board':>5} {'backlog p.':>10} {'+answers':>8}"
    )
    for org in TYPICAL:
        assessment_id, _ = submit_typical(app, org.sector)
        with app.test_request_context():
            assessment = db.session.get(Assessment, assessment_id)
            assert assessment is not None
            plan = documents.plan_pdf(assessment)
            full = documents.plan_pdf(assessment, include_answers=True)
            from portal.assessments import state as assessment_state

            state = assessment_state.load(assessment)
            lead = headline(state.questionnaire, state.result)
            # Inside the context: the plan reads the organization's KEV matches from the database.
            result, planned = state.result, state.plan
        reader = PdfReader(BytesIO(plan.data))
        pages = len(reader.pages)
        board_end = (first_page_with(reader, "Scores by priority") or pages + 1) - 1
        backlog_start = first_page_with(reader, "Appendix: the backlog")
        backlog_pages = pages - backlog_start + 1 if backlog_start else 0
        print(
            f"{org.name:<38} {result.overall_score:>5} {len(planned.actions):>7} "
            f"{len(planned.scheduled):>7} {len(planned.backlog):>7} {pages:>5} "
            f"{board_end - 1:>5} {backlog_pages:>10} {len(PdfReader(BytesIO(full.data)).pages):>8}"
        )
        print(f"  {lead.title}")
        if args.png:
            args.png.mkdir(parents=True, exist_ok=True)
            pdf_path = args.png / f"{org.sector}.pdf"
            pdf_path.write_bytes(plan.data)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", str(pdf_path), str(args.png / org.sector)],
                check=True,
            )
    expert_operators(app, args.png)


def submit_operator(app, operator):  # type: ignore[no-untyped-def]
    """Register one of the expert's operators, list its products, submit its answers."""
    from portal.assessments import lifecycle, reading
    from portal.auth import service
    from portal.exposure import inventory
    from portal.extensions import db
    from portal.models import Answer
    from tests.domain.operators import answers_of

    email = f"it@{operator.sector}-expert.example.org"
    with app.test_request_context():
        user = service.register_organization(
            service.NewOrganization(
                operator.name, [operator.sector], operator.ownership, "small", "OH", "Pine"
            ),
            "Expert's IT Lead",
            email,
            "correct horse battery staple 9",
        )
        organization = user.organization
        assert organization is not None
        for item in operator.products:
            family = inventory.resolve(item.vendor, item.product)
            inventory.add_item(
                organization,
                user,
                inventory.ProductFields(
                    item.category,
                    item.vendor,
                    item.product,
                    item.version,
                    item.internet_facing,
                    item.managed_by_msp,
                ),
                family.key if family else None,
            )
        assessment = lifecycle.start(organization, user)
        questionnaire = reading.questionnaire_of(assessment)
        answers = answers_of(questionnaire, operator)
        shown = {q.id for q in questionnaire.questions_in(assessment.modules)}
        db.session.add_all(
            Answer(assessment_id=assessment.id, question_id=qid, value=value, updated_by_id=user.id)
            for qid, value in answers.items()
            if qid in shown and value is not None
        )
        db.session.flush()
        lifecycle.submit(assessment, user)
        db.session.commit()
        return assessment.id


def expert_operators(app, png: Path | None) -> None:  # type: ignore[no-untyped-def]
    from portal.assessments import state as assessment_state
    from portal.exposure import updates
    from portal.extensions import db
    from portal.kev.catalog import SNAPSHOT
    from portal.models import Assessment
    from portal.reports import documents
    from tests.domain.operators import OPERATORS

    with app.app_context():
        updates.import_and_notify(SNAPSHOT.read_bytes(), str(SNAPSHOT), commit=db.session.commit)
    print()
    print(
        f"{'expert operator':<46} {'score':>5} {'critical':>8} {'week':>4} {'actions':>7} "
        f"{'in 90 d':>7} {'pages':>5} {'KEV p.':>6} {'+answers':>8}"
    )
    for operator in OPERATORS:
        assessment_id = submit_operator(app, operator)
        with app.test_request_context():
            assessment = db.session.get(Assessment, assessment_id)
            assert assessment is not None
            plan_pdf = documents.plan_pdf(assessment)
            full = documents.plan_pdf(assessment, include_answers=True)
            state = assessment_state.load(assessment)
            result, planned = state.result, state.plan
        reader = PdfReader(BytesIO(plan_pdf.data))
        pages = len(reader.pages)
        # Pages listing open flaws (each line ends "CISA gives N days").
        kev_pages = sum("CISA gives" in page.extract_text() for page in reader.pages)
        print(
            f"{operator.name:<46} {result.overall_score:>5} {len(result.critical_items):>8} "
            f"{len(planned.this_week):>4} {len(planned.actions):>7} {len(planned.scheduled):>7} "
            f"{pages:>5} {kev_pages:>6} {len(PdfReader(BytesIO(full.data)).pages):>8}"
        )
        if png:
            pdf_path = png / f"expert-{operator.sector}.pdf"
            pdf_path.write_bytes(plan_pdf.data)
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "60",
                    str(pdf_path),
                    str(png / f"expert-{operator.sector}"),
                ],
                check=True,
            )


if __name__ == "__main__":
    main()
