"""How long is the plan? Page counts of four typical organizations' plan PDFs — run by hand:
`.venv/bin/python bench/plan_pages.py [--png DIR]`.

The organizations are portal/devdata/typical.py's: a first self-assessment of a small hospital,
bank, water system and electric co-op. For each, through the real pipeline (submit, then
documents.plan_pdf as a download does), it prints the plan's pages without the answer appendix
(the target: a typical small hospital ≤ 12), the board summary's pages (target: 2), the backlog
appendix's pages, and the pages with every answer appended. With --png, every page is rendered
to PNG (pdftoppm) for looking at.
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


if __name__ == "__main__":
    main()
