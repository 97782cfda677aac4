"""The state program's pages on the national dataset (#33): p50/p95 latency — run by hand.

    .venv/bin/flask generate-dataset          # into DATABASE_URL=.../national (bench/RESULTS.md)
    .venv/bin/flask kev import                # the shipped catalog: the exposure measure has data
    .venv/bin/python bench/program_pages.py national --requests 40

The Texas coordinator (254 counties, ~4,700 organizations, ~20,000 assessments) requests each
page sequentially under gunicorn (4 sync workers, loopback) — the county map under each of its
four measures, what most organizations miss (all, rural, one sector), progress over time and the
grant pack's page — twice:

- **cached**: figures kept in Redis for a minute and dropped on every submission or decision,
  as production runs (``REDIS_URL``); the page's own work on top of a cache hit;
- **uncached**: ``CACHE_TYPE=NullCache``, every request computes every figure: what the first
  coordinator after a submission waits.

A bare Flask app under the same settings is the baseline, measured in the same run: every p50 is
also printed as a multiple of the baseline's. Target (issue #33): p50 <= 200 ms.
"""

from __future__ import annotations

import argparse
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
COORDINATOR = "coordinator-tx@national.example.org"
PAGES = {
    "dashboard with the county map (median score)": "/review/dashboard",
    "county map: assessed in 12 months": "/review/dashboard?measure=assessed",
    "county map: with a critical gap": "/review/dashboard?measure=critical_gaps",
    "county map: known-exploited exposure": "/review/dashboard?measure=kev_exposure",
    "what most organizations miss": "/review/missed",
    "what most miss: rural counties": "/review/missed?place=rural",
    "what most miss: hospitals": "/review/missed?sector=hospital",
    "progress over time": "/review/progress",
    "grant pack page (12 months)": "/review/grant",
}


def measure(database: str, count: int, port: int, cache: dict[str, str]) -> dict[str, list[float]]:
    instance = tempfile.mkdtemp(prefix="portal-program-bench-")
    env = {"SECRET_KEY": "c" * 40, "LOG_LEVEL": "WARNING", "PORTAL_INSTANCE_PATH": instance,
           "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
           **cache}  # fmt: skip
    results: dict[str, list[float]] = {}
    with gunicorn("portal:create_app()", port, env) as base:
        coordinator = Browser(base)
        forget_second_factors(database, COORDINATOR)
        coordinator.sign_in(COORDINATOR, PASSWORD)
        coordinator.enrol_if_asked()
        for name, path in PAGES.items():
            results[name] = time_page(coordinator, path, count)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database", help="PostgreSQL database with the national dataset")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    with gunicorn("hello:app", 8211, {}, cwd=ROOT / "bench") as base:
        hello = Browser(base)
        baseline = median(time_page(hello, "/", args.requests))
    cached = measure(args.database, args.requests, 8212, {"REDIS_URL": args.redis})
    uncached = measure(args.database, args.requests, 8213, {"CACHE_TYPE": "NullCache"})
    print(f"\nbaseline (bare Flask, same gunicorn settings): p50 {baseline:.1f} ms")
    print(f"{'page':<46}{'cached p50':>11}{'p95':>8}{'×base':>7}{'uncached p50':>14}{'p95':>8}")
    for name in PAGES:
        warm, cold = cached[name], uncached[name]
        flags = ["!" if median(t) > 200 else " " for t in (warm, cold)]
        print(f"{name:<46}{median(warm):>10.1f}{flags[0]}{percentile(warm, 0.95):>8.1f}"
              f"{median(warm) / baseline:>7.1f}{median(cold):>13.1f}{flags[1]}"
              f"{percentile(cold, 0.95):>8.1f}")  # fmt: skip
    print("(ms; ! marks a p50 over 200 ms)")


if __name__ == "__main__":
    main()
