"""Wizard page and autosave throughput vs a bare Flask app — run by hand, not in CI.

    .venv/bin/python bench/throughput.py              # PostgreSQL (database portal_bench)
    .venv/bin/python bench/throughput.py --db sqlite

Both apps run under gunicorn with the same settings (4 sync workers, loopback) and are loaded
with wrk (Debian package ``wrk``), one connection per wrk thread. The portal is loaded by 16
signed-in operators, each with its own draft: GET of the first wizard step, and autosave POSTs
(each connection tracks its answer's revision from the responses, so every save is a real,
accepted save). Each wrk run starts its connections afresh at revision 0, so a connection whose
draft moved on in the warm-up has its first save refused with 409 — rightly: a stale revision —
and takes the revision from that answer. The script counts 409s apart from other non-2xx
answers: up to one 409 per connection is expected and not reported; more, or any other non-2xx
answer, is. The baseline is measured before and
after the portal, and every figure is printed as a ratio to the baseline's mean.

Targets (issue #8): wizard GET >= 0.35 x baseline, autosave >= 0.25 x baseline. Also measured:
three pages that each do one part of a wizard page's work (bench/portal_parts.py): signing the
user in and nothing else (the floor under any signed-in page), one database read without the ORM,
and rendering the step page's templates without the database.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ROOT, Browser, gunicorn, prepare_operators

PASSWORD = "throughput-bench-password"
# What the portal run measures, in order: the parts of a page on their own (bench/portal_parts.py),
# then the wizard's real pages.
PAGES = {
    "floor": "signed-in empty page",
    "query": "one read, no ORM",
    "write": "one write, no ORM",
    "readwrite": "one read + one write",
    "render": "step page render only",
    "get": "wizard step GET",
    "post": "autosave POST",
}
USERS = 16

LUA = """
local sessions = %(sessions)s
local mode = "%(mode)s"
local created = 0
local threads = {}
function setup(thread)
  thread:set("index", created)
  created = created + 1
  table.insert(threads, thread)
end
local me, revision, flip
function init(args)
  me = sessions[(index %% #sessions) + 1]
  revision = 0
  conflicts = 0
  flip = false
end
function request()
  if mode == "floor" then
    return wrk.format("GET", "/_bench/signed-in", {Cookie = me.cookie})
  end
  if mode == "query" then
    return wrk.format("GET", "/_bench/one-query", {Cookie = me.cookie})
  end
  if mode == "write" then
    return wrk.format("POST", "/_bench/one-write", {Cookie = me.cookie})
  end
  if mode == "readwrite" then
    return wrk.format("POST", "/_bench/read-and-write", {Cookie = me.cookie})
  end
  if mode == "render" then
    return wrk.format("GET", "/_bench/render-only/" .. me.id, {Cookie = me.cookie})
  end
  if mode == "get" then
    return wrk.format("GET", me.path .. "/steps/0", {Cookie = me.cookie})
  end
  flip = not flip
  local body = string.format(
    '{"question_id":"core.security_lead","value":"%%s","note":"","revision":%%d}',
    flip and "yes" or "no", revision)
  return wrk.format("POST", me.path .. "/answers",
    {Cookie = me.cookie, ["Content-Type"] = "application/json", ["X-CSRFToken"] = me.token}, body)
end
%(response)s
"""
RESPONSE = """
function response(status, headers, body)
  if status == 409 then conflicts = conflicts + 1 end
  if status == 200 or status == 409 then
    local r = body:match('"revision":%s*(%d+)')
    if r then revision = tonumber(r) end
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("conflicts") end
  io.write(string.format("Conflicts: %d\\n", total))
end
"""


def wrk(base: str, path: str, seconds: int, script: Path | None = None) -> tuple[float, int, int]:
    """Requests per second, the number of non-2xx/3xx answers, and of those the 409s (the
    autosave script counts them)."""
    command = ["wrk", "-t", str(USERS), "-c", str(USERS), "-d", f"{seconds}s"]
    if script is not None:
        command += ["-s", str(script)]
    run = subprocess.run([*command, base + path], capture_output=True, text=True, check=True)
    if script is not None and run.stderr.strip():
        # wrk reports a broken script on stderr and then measures plain GETs of the URL.
        raise RuntimeError(f"wrk could not run {script.name}: {run.stderr.strip()[:500]}")
    output = run.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*", output)
    if errors:
        print("   ", errors.group(0))
    conflicts = re.search(r"Conflicts: (\d+)", output)
    return rate, int(bad.group(1)) if bad else 0, int(conflicts.group(1)) if conflicts else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--only", nargs="+", metavar="PART",
                        choices=list(PAGES),
                        help="measure only these portal pages (default: all)")  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    instance = Path(tempfile.mkdtemp(prefix="portal-throughput-"))
    if args.db == "postgres":
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc",
                        "DROP DATABASE IF EXISTS portal_bench WITH (FORCE)", "-c",
                        "CREATE DATABASE portal_bench"], check=True)  # fmt: skip
        database_url = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench"
    else:
        database_url = f"sqlite:///{instance}/bench.sqlite3"
    accounts = prepare_operators(database_url, instance, USERS, PASSWORD, "throughput")
    figures: dict[str, float] = {}

    with gunicorn("hello:app", 8101, {}, cwd=ROOT / "bench") as base:
        wrk(base, "/", 3)  # warm-up
        figures["baseline (before)"], _, _ = wrk(base, "/", args.seconds)

    env = {"SECRET_KEY": "b" * 40, "DATABASE_URL": database_url,
           "PORTAL_INSTANCE_PATH": str(instance), "LOG_LEVEL": "WARNING"}  # fmt: skip
    # The portal plus the pages that each do one part of the work (bench/portal_parts.py).
    with gunicorn("portal_parts:app", 8102, env, cwd=ROOT / "bench") as base:
        sessions = []
        for email, assessment_id in accounts:
            browser = Browser(base)
            browser.sign_in(email, PASSWORD)
            _, page = browser.get(f"/assessments/{assessment_id}/steps/0")
            token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            sessions.append({"cookie": browser.cookie_header(), "token": token,
                             "path": f"/assessments/{assessment_id}",
                             "id": str(assessment_id)})  # fmt: skip
        lua_sessions = (
            "{"
            + ",".join(
                "{" + ",".join(f"{k}={json.dumps(v)}" for k, v in s.items()) + "}" for s in sessions
            )
            + "}"
        )
        modes = list(PAGES)
        if args.only:
            modes = [m for m in modes if m in args.only]
        if args.db == "sqlite":
            modes = [m for m in modes if m not in ("query", "write", "readwrite")]  # psycopg only
        for mode in modes:
            script = instance / f"{mode}.lua"
            script.write_text(LUA % {"sessions": lua_sessions, "mode": mode,
                                     "response": RESPONSE if mode == "post" else ""})  # fmt: skip
            wrk(base, "/", 3, script)  # warm-up
            rate, bad, conflicts = wrk(base, "/", args.seconds, script)
            name = PAGES[mode]
            figures[name] = rate
            if conflicts > USERS:  # more than each connection's first save after the warm-up
                print(f"    {name}: {conflicts} conflicts (409), more than one per connection")
            elif conflicts:
                print(f"    {name}: {conflicts} first saves met a stale revision (409; expected)")
            if bad - conflicts:
                print(f"    {name}: {bad - conflicts} non-2xx answers other than 409")

    with gunicorn("hello:app", 8103, {}, cwd=ROOT / "bench") as base:
        wrk(base, "/", 3)
        figures["baseline (after)"], _, _ = wrk(base, "/", args.seconds)

    baseline = (figures["baseline (before)"] + figures["baseline (after)"]) / 2
    targets = {"wizard step GET": 0.35, "autosave POST": 0.25}
    print(f"\ngunicorn {4} sync workers, wrk {USERS} connections, {args.seconds} s each, "
          f"database {args.db}")  # fmt: skip
    print(f"{'what':<24}{'req/s':>10}{'ratio':>9}{'target':>9}")
    for name, rate in figures.items():
        target = targets.get(name)
        mark = "" if target is None else ("  ok" if rate / baseline >= target else "  MISSED")
        shown = f"{target:.2f}" if target else "—"
        print(f"{name:<24}{rate:>10,.0f}{rate / baseline:>9.3f}{shown:>9}{mark}")


if __name__ == "__main__":
    main()
