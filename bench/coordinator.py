"""Coordinator pages on the national dataset (PostgreSQL): p50/p95 latency — run by hand.

    .venv/bin/flask generate-dataset                       # into DATABASE_URL=.../national
    .venv/bin/flask generate-dataset --organizations 6000 --assessments 25000   # .../national_tenth
    .venv/bin/python bench/coordinator.py national national_tenth

For each database the portal runs under gunicorn (4 sync workers, loopback) and one client
requests each page sequentially (5 warm-up requests, then --requests timed ones) as the
coordinator of the largest state (Texas: 254 counties, ~8 % of all organizations), as the
national admin, and as a water operator whose results page carries nationwide peer figures.
A bare Flask app under the same settings is the baseline, measured in the same run: every p50 is
also printed as a multiple of the baseline's p50.

Targets (issue #8): p50 <= 200 ms on the national dataset; queue pages grow no worse than
logarithmically from 1/10 to full size (full/tenth p50 ratio <= log(60,000)/log(6,000) = 1.26).
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    Browser,
    forget_second_factors,
    gunicorn,
    median,
    percentile,
    time_page,
)

PASSWORD = "national-dataset-2026"


def operator_with_results(database: str) -> tuple[str, int]:
    """A water operator in Texas whose latest submission has results with national peers."""
    sql = (
        "SELECT u.email, a.id FROM users u "
        "JOIN organizations o ON o.id = u.organization_id AND o.state = 'TX' "
        "JOIN organization_sectors s ON s.organization_id = o.id AND s.sector = 'water' "
        "JOIN assessments a ON a.organization_id = o.id AND a.is_latest_submission "
        "ORDER BY a.id LIMIT 1"
    )
    email, assessment_id = psql(database, sql).split("|")
    return email, int(assessment_id)


def measure(database: str, count: int, port: int) -> dict[str, list[float]]:
    instance = tempfile.mkdtemp(prefix="portal-coordinator-bench-")
    env = {"SECRET_KEY": "c" * 40, "LOG_LEVEL": "WARNING", "PORTAL_INSTANCE_PATH": instance,
           "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"}  # fmt: skip
    email, assessment_id = operator_with_results(database)
    results: dict[str, list[float]] = {}
    with gunicorn("portal:create_app()", port, env) as base:
        coordinator = Browser(base)
        forget_second_factors(database, "coordinator-tx@national.example.org")
        coordinator.sign_in("coordinator-tx@national.example.org", PASSWORD)
        coordinator.enrol_if_asked()  # staff must have a second factor (#31)
        _, first = coordinator.get("/review/")
        cursor = re.search(r"after=([A-Za-z0-9_-]+)", first)
        pages = {
            "queue (Texas, newest first)": "/review/",
            "queue page 2 (keyset cursor)": f"/review/?after={cursor.group(1)}" if cursor else "",
            "filtered queue (water, 0-39, lowest first)":
                "/review/?sector=water&score=0-39&sort=score_low",
            "queue search by name": "/review/?search=water",
            "regional dashboard (Texas)": "/review/dashboard",
            "tool-access requests (Texas)": "/review/tool-requests",
        }  # fmt: skip
        for name, path in pages.items():
            if path:
                results[name] = time_page(coordinator, path, count)
        admin = Browser(base)
        forget_second_factors(database, "admin@national.example.org")
        admin.sign_in("admin@national.example.org", PASSWORD)
        admin.enrol_if_asked()
        results["national queue (admin)"] = time_page(admin, "/review/", count)
        results["national dashboard (admin)"] = time_page(admin, "/review/dashboard", count)
        results["administration (admin, first page)"] = time_page(admin, "/admin/", count)
        results["administration search (admin)"] = time_page(
            admin, "/admin/?q=pine&state=TX", count
        )
        operator = Browser(base)
        operator.sign_in(email, PASSWORD)
        results["operator results with national peers"] = time_page(
            operator, f"/assessments/{assessment_id}/results", count
        )
    return results


def organizations(database: str) -> int:
    return int(psql(database, "SELECT count(*) FROM organizations"))


def psql(database: str, sql: str) -> str:
    command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc", sql]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("full", help="PostgreSQL database with the national dataset")
    parser.add_argument("tenth", help="PostgreSQL database with 1/10 of it")
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    with gunicorn("hello:app", 8201, {}, cwd=ROOT / "bench") as base:
        hello = Browser(base)
        baseline = median(time_page(hello, "/", args.requests))
    full = measure(args.full, args.requests, 8202)
    tenth = measure(args.tenth, args.requests, 8203)
    sizes = organizations(args.full), organizations(args.tenth)
    log_bound = math.log(sizes[0]) / math.log(sizes[1])
    print(f"\nbaseline (bare Flask, same gunicorn settings): p50 {baseline:.1f} ms")
    print(f"full: {sizes[0]:,} organizations; tenth: {sizes[1]:,}; "
          f"log bound on growth {log_bound:.2f}")  # fmt: skip
    header = f"{'page':<44}{'p50':>8}{'p95':>8}{'×base':>8}{'1/10 p50':>10}{'growth':>8}"
    print(header)
    for name, timings in full.items():
        p50, p95 = median(timings), percentile(timings, 0.95)
        small = median(tenth[name]) if name in tenth else float("nan")
        growth = p50 / small
        flag = " " if p50 <= 200 else "!"
        print(f"{name:<44}{p50:>7.1f}{flag}{p95:>8.1f}{p50 / baseline:>8.1f}{small:>10.1f}"
              f"{growth:>8.2f}")  # fmt: skip
    print("(ms; ! marks a p50 over 200 ms; growth = full p50 / tenth p50)")


if __name__ == "__main__":
    main()
