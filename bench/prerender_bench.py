"""Plans ready when asked for — run by hand: `.venv/bin/python bench/prerender_bench.py [--runs N]`.

For N submissions of a realistic hospital assessment, times the operator's *first* download of
the plan PDF (test client, in process: routing, access check, audit row):
  * with pre-rendering (what submitting does now: the render starts at once; the download comes
    after it has finished, as it does when a person reads the results page first);
  * without it (PDF_PRERENDER=false: the first download renders inline).
Prints p50/p90 of each; the target is a p50 ≤ 100 ms for the first download after submission.
Uses a throwaway SQLite database and cache folder; no Redis (the thread path).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_app, median, percentile


def first_downloads(runs: int, prerender_on: bool) -> list[float]:
    from portal.extensions import db
    from portal.models import Assessment
    from portal.reports import prerender
    from tests.factories import World, submit_assessment
    from tests.web import login

    timings = []
    for _ in range(runs):
        # A fresh portal each time: an organization's next assessment starts from its last.
        workdir = Path(tempfile.mkdtemp(prefix="prerender-bench-"))
        app = bench_app(workdir, WTF_CSRF_ENABLED=False, PDF_PRERENDER=prerender_on)
        world = World(app)
        client = app.test_client()
        login(client, world.operator_a)
        assessment_id = submit_assessment(app, world)
        with app.test_request_context():
            # What the submit view does right after its commit.
            prerender.plan_after_submission(db.session.get(Assessment, assessment_id))
        prerender.wait_for_prerenders()
        started = time.perf_counter()
        response = client.get(f"/assessments/{assessment_id}/plan.pdf")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.data[:4] == b"%PDF", response.status
        with app.app_context():
            db.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for label, on in (("with pre-rendering", True), ("without (inline render)", False)):
        timings = first_downloads(args.runs, on)
        print(
            f"first download {label}: p50 {median(timings):.0f} ms, "
            f"p90 {percentile(timings, 0.9):.0f} ms (n={len(timings)})"
        )


if __name__ == "__main__":
    main()
