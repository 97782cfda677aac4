"""The coordinator's exports on the national dataset (PostgreSQL): time and peak memory — run by
hand.

    .venv/bin/flask generate-dataset                       # into DATABASE_URL=.../national
    .venv/bin/python bench/exports_bench.py national

Each measurement runs in a fresh process as the Texas coordinator (the largest state: ~20,000
assessments in its queue), so its peak resident memory (ru_maxrss) is its own. The baseline, in
the same run, is a process that builds the app, signs in and reads the queue's first page. Every
figure is printed with its ratio to the baseline:

- **queue.xlsx** as the portal makes it (rows read a batch at a time, written to the workbook as
  they come);
- **queue.xlsx, rows loaded first** — every row in a list before the workbook (what streaming
  saves);
- **queue.csv** as the portal makes it (the CSV is built in memory, as before);
- **OSCAL per assessment**: both OSCAL files of Texas's accepted assessments, one at a time — the
  cost that bounds the jurisdiction's ZIP (it must be made within the web server's 30 s).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT

COORDINATOR = "coordinator-tx@national.example.org"
VARIANTS = ("baseline", "xlsx", "xlsx_loaded_first", "csv", "oscal")


def child(database: str, variant: str) -> dict[str, Any]:
    """One measurement, in this process (called through a subprocess by main)."""
    import os

    os.environ["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_login import login_user

    from portal.app import create_app
    from portal.exports import coordinator
    from portal.exports.download import BYTE_ORDER_MARK
    from portal.exports.spreadsheet import to_csv
    from portal.exports.workbook import workbook
    from portal.extensions import db
    from portal.models import User
    from portal.review import queue
    from portal.templating import viewer_time_zone

    app = create_app()
    with app.test_request_context():
        user = db.session.scalar(db.select(User).where(User.email == COORDINATOR))
        assert user is not None
        login_user(user)
        first_page = queue.queue_page(user, queue.Filters(), None)
        start = time.perf_counter()
        size, rows = 0, 0
        if variant == "xlsx":
            sheet = coordinator.queue_table(queue.export_rows(user, queue.Filters())).sheet()
            with workbook([sheet], title="q", zone=viewer_time_zone()) as body:
                size = len(body.read())
            rows = sheet.written
        elif variant == "xlsx_loaded_first":
            loaded = list(queue.export_rows(user, queue.Filters()))
            rows = len(loaded)
            table = coordinator.queue_table(loaded)
            with workbook([table.sheet()], title="q", zone=viewer_time_zone()) as body:
                size = len(body.read())
        elif variant == "csv":
            table = coordinator.queue_table(queue.export_rows(user, queue.Filters()))
            body_rows = table.csv_rows()
            rows = len(body_rows)
            size = len((BYTE_ORDER_MARK + to_csv(table.keys, body_rows)).encode())
        elif variant == "oscal":
            chosen, total = queue.accepted_latest(user, queue.Filters(), 40)
            print(f"Texas: {total} organizations with an accepted assessment", file=sys.stderr)
            rows = len(chosen)
            with coordinator.oscal_zip(chosen, filters="") as body:
                size = len(body.read())
            db.session.rollback()  # the audit rows: a measurement, not an export
        seconds = time.perf_counter() - start
    return {
        "variant": variant,
        "seconds": seconds,
        "bytes": size,
        "rows": rows or len(first_page.rows),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="the national dataset's PostgreSQL database")
    parser.add_argument("--child", choices=VARIANTS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.database, args.child)))
        return
    results = {}
    for variant in VARIANTS:
        out = subprocess.run(
            [sys.executable, __file__, args.database, "--child", variant],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["baseline"]
    print("| measurement | time | peak memory (RSS) | × baseline memory | file | rows |")
    print("| --- | --- | --- | --- | --- | --- |")
    for variant, r in results.items():
        print(
            f"| {variant} | {r['seconds']:.2f} s | {r['peak_rss_mb']:.0f} MB | "
            f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f} | {r['bytes'] / 1e6:.2f} MB | "
            f"{r['rows']} |"
        )
    oscal = results["oscal"]
    if oscal["rows"]:
        each = oscal["seconds"] / oscal["rows"]
        print(f"\nOSCAL: {each * 1000:.0f} ms per assessment (both files); "
              f"{int(20 / each)} assessments fit in 20 s.")  # fmt: skip


if __name__ == "__main__":
    main()
