"""Reliability under load and faults — a scripted check, run by hand (not in CI).

    .venv/bin/python bench/reliability.py --db sqlite
    .venv/bin/python bench/reliability.py --db postgres
    .venv/bin/python bench/reliability.py --db postgres --kill-worker --restart-postgres

Starts the portal under gunicorn (4 workers) on loopback with a fresh database, signs in N
simulated operators (each with its own organization and draft) and lets each autosave answers
as fast as the server answers for a while. Every acknowledged save (HTTP 200 with a revision) is
remembered; afterwards the database must hold, for every question, exactly the last
acknowledged value and revision: "0 lost answers". With --kill-worker a gunicorn worker is
SIGKILLed mid-run; with --restart-postgres the PostgreSQL cluster is restarted mid-run (this
restarts the machine's PostgreSQL: do not run it while CI or tests use it). Failed requests
during a fault are counted and must have been answered with an error status or a refused
connection — never a false acknowledgement.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import prepare_operators  # noqa: E402

PASSWORD = "reliability-check-password"
QUESTIONS = [
    ("core.security_lead", ["yes", "partly", "no", "dont_know"]),
    ("core.leadership_oversight", ["yes", "no", "dont_know"]),
    ("core.security_policy", ["yes", "no", "dont_know"]),
]


class Operator(threading.Thread):
    def __init__(
        self, base: str, email: str, assessment_id: int, deadline: float, stats: Counter[str]
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.email, self.assessment_id = base, email, assessment_id
        self.deadline, self.stats = deadline, stats
        self.acked: dict[str, tuple[str, int]] = {}
        self.revisions: dict[str, int] = {q: 0 for q, _ in QUESTIONS}
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def sign_in(self) -> str:
        _, page = self.request("/login")
        form = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if form is not None:  # (a still-valid login is sent on from /login: nothing to do)
            body = urllib.parse.urlencode(
                {"email": self.email, "password": PASSWORD, "csrf_token": form.group(1)}
            ).encode()
            self.request("/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        _, page = self.request(f"/assessments/{self.assessment_id}/steps/0")
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def run(self) -> None:
        token = None
        while time.monotonic() < self.deadline:
            try:
                if token is None:
                    token = self.sign_in()
                question, values = random.choice(QUESTIONS)
                value = random.choice(values)
                payload = json.dumps(
                    {
                        "question_id": question,
                        "value": value,
                        "note": "",
                        "revision": self.revisions[question],
                    }
                ).encode()
                status, body = self.request(
                    f"/assessments/{self.assessment_id}/answers",
                    payload,
                    {"Content-Type": "application/json", "X-CSRFToken": token},
                )
                if status == 200:
                    revision = json.loads(body)["revision"]
                    if revision is not None:
                        self.revisions[question] = revision
                        self.acked[question] = (value, revision)
                    self.stats["acknowledged"] += 1
                else:
                    self.stats[f"http {status}"] += 1
                    if status in (400, 401):
                        token = None  # signed out (e.g. a fault): sign in again
                    time.sleep(0.2)
            except AttributeError:  # a sign-in page without its form: the server was failing
                self.stats["sign-in page unavailable"] += 1
                token = None
                time.sleep(0.5)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                self.stats[f"refused: {type(error).__name__}"] += 1
                token = None
                time.sleep(0.5)


def verify(database_url: str, operators: list[Operator]) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    lost = 0
    with engine.connect() as connection:
        for operator in operators:
            rows = dict(
                connection.execute(
                    sa.text(
                        "SELECT question_id, value || ':' || revision FROM answers "
                        "WHERE assessment_id = :a"
                    ),
                    {"a": operator.assessment_id},
                ).all()
            )
            for question, (value, revision) in operator.acked.items():
                if rows.get(question) != f"{value}:{revision}":
                    lost += 1
                    print(
                        f"  LOST {operator.email} {question}: acked {value}:{revision}, "
                        f"stored {rows.get(question)}"
                    )
    engine.dispose()
    return lost


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--kill-worker", action="store_true")
    parser.add_argument("--restart-postgres", action="store_true")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="reliability-"))
    if args.db == "sqlite":
        database_url = f"sqlite:///{instance / 'portal.sqlite3'}"
    else:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "test",
                "-qc",
                "DROP DATABASE IF EXISTS portal_reliability WITH (FORCE)",
            ],
            check=True,
        )
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "test",
                "-qc",
                "CREATE DATABASE portal_reliability",
            ],
            check=True,
        )
        database_url = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_reliability"
    accounts = prepare_operators(database_url, instance, args.users, PASSWORD, "reliability")
    env = {
        **os.environ,
        "SECRET_KEY": "r" * 40,
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "LOG_LEVEL": "WARNING",
    }
    log = (instance / "gunicorn.log").open("w")  # closed after the server stops
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--graceful-timeout",
            "5",
            "portal:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{args.port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/login", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    stats: Counter[str] = Counter()
    deadline = time.monotonic() + args.seconds
    operators = [Operator(base, email, aid, deadline, stats) for email, aid in accounts]
    started = time.monotonic()
    for operator in operators:
        operator.start()
    faults = []
    if args.kill_worker or args.restart_postgres:
        time.sleep(args.seconds / 3)
        if args.kill_worker:
            children = subprocess.run(
                ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
            os.kill(int(children[0]), signal.SIGKILL)
            faults.append(f"SIGKILL worker {children[0]} at {time.monotonic() - started:.0f}s")
        if args.restart_postgres:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"], check=True
            )
            faults.append(f"PostgreSQL restarted at {time.monotonic() - started:.0f}s")
    for operator in operators:
        operator.join()
    elapsed = time.monotonic() - started
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    log.close()
    lost = verify(database_url, operators)
    answered = sum(len(o.acked) for o in operators)
    print(f"database {args.db}, {args.users} users, {elapsed:.0f} s, gunicorn 4 workers")
    for fault in faults:
        print(f"fault: {fault}")
    print(
        f"acknowledged saves: {stats['acknowledged']} "
        f"({stats['acknowledged'] / elapsed:.0f}/s); answers checked: {answered}"
    )
    print(
        "other outcomes: "
        + (
            ", ".join(f"{k}: {v}" for k, v in sorted(stats.items()) if k != "acknowledged")
            or "none"
        )
    )
    print(f"lost acknowledged answers: {lost}")
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
