"""Plans ready when asked for — run by hand: `.venv/bin/python bench/prerender_bench.py [--runs N]`.

For N submissions of a realistic hospital assessment, times the operator's *first* download of
the plan PDF (test client, in process: routing, access check, audit row):
  * with pre-rendering (what submitting does now: the render starts at once; the download comes
    after it has finished, as it does when a person reads the results page first);
  * without it (PDF_PRERENDER=false: the first download renders inline).
Prints p50/p90 of each; the target is a p50 ≤ 100 ms for the first download after submission.
Also how long after the submission the plan was ready. Uses a throwaway SQLite database and
cache folder. Without options, no Redis (the thread path); with ``--rq REDIS_URL`` the job path:
a real ``rq worker`` on a queue of the benchmark's own renders the plan, and the download takes
the bytes from Redis.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, bench_app, median, percentile


def first_downloads(
    runs: int, prerender_on: bool, redis_url: str | None = None, queue: str = ""
) -> tuple[list[float], list[float]]:
    """(first-download timings, submission-to-ready timings), in ms."""
    from portal.extensions import db
    from portal.models import Assessment
    from portal.reports import documents, prerender
    from tests.factories import World, submit_assessment
    from tests.web import login

    timings, ready = [], []
    queue_config = {"REDIS_URL": redis_url, "PDF_QUEUE": queue} if redis_url else {}
    for _ in range(runs):
        # A fresh portal each time: an organization's next assessment starts from its last.
        workdir = Path(tempfile.mkdtemp(prefix="prerender-bench-"))
        app = bench_app(workdir, WTF_CSRF_ENABLED=False, PDF_PRERENDER=prerender_on, **queue_config)
        world = World(app)
        client = app.test_client()
        login(client, world.operator_a)
        assessment_id = submit_assessment(app, world)
        submitted = time.perf_counter()
        with app.test_request_context():
            # What the submit view does right after its commit.
            assessment = db.session.get(Assessment, assessment_id)
            prerender.plan_after_submission(assessment)
            if redis_url and prerender_on:
                while True:  # what the "preparing" page's polling does
                    try:
                        documents.plan_pdf(assessment, inline=False)
                        break
                    except documents.PdfPending:
                        time.sleep(0.02)
        prerender.wait_for_prerenders()
        ready.append((time.perf_counter() - submitted) * 1000)
        if redis_url and prerender_on:  # the bytes came from Redis to the cache while polling
            for path in (workdir / "cache").glob("*.pdf"):
                path.unlink()
        started = time.perf_counter()
        response = client.get(f"/assessments/{assessment_id}/plan.pdf")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.data[:4] == b"%PDF", response.status
        with app.app_context():
            db.engine.dispose()
    return timings, ready


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rq", metavar="REDIS_URL", help="the job path, on this Redis")
    parser.add_argument(
        "--plain-worker", action="store_true", help="rq worker without -c portal.rq_settings"
    )
    args = parser.parse_args()
    worker = None
    queue = f"bench-pdf-{os.getpid()}"
    if args.rq:
        worker = subprocess.Popen(
            [str(ROOT / ".venv/bin/rq"), "worker", "--url", args.rq, "--quiet", queue]
            + ([] if args.plain_worker else ["-c", "portal.rq_settings"]),
            cwd=ROOT,
        )
    try:
        modes = [("with pre-rendering", True)]
        if not args.rq:  # with a queue, a download without pre-rendering only queues the job
            modes.append(("without (inline render)", False))
        for label, on in modes:
            timings, ready = first_downloads(args.runs, on, args.rq, queue)
            print(
                f"first download {label}: p50 {median(timings):.0f} ms, "
                f"p90 {percentile(timings, 0.9):.0f} ms (n={len(timings)})"
                + (f"; ready {median(ready):.0f} ms after submitting" if on else "")
            )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)


if __name__ == "__main__":
    main()
