"""Helpers shared by the benchmarks: start gunicorn, wait for it, sign in, percentiles."""

from __future__ import annotations

import http.cookiejar
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], cwd: Path = ROOT) -> Iterator[str]:
    """gunicorn with 4 sync workers on loopback — the same settings for every app measured."""
    log = open(f"{tempfile.gettempdir()}/bench-gunicorn-{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(WORKERS), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{app} did not start; see {log.name}")
        yield base
    finally:
        server.terminate()
        server.wait(20)
        log.close()


class Browser:
    """A signed-in user: cookies kept, CSRF token read from the page."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.last_url = ""

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                self.last_url = response.url
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def sign_in(self, email: str, password: str) -> None:
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "no sign-in form"
        body = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": token.group(1)}
        ).encode()
        with self.opener.open(self.base + "/login", body, timeout=30) as response:
            assert "/login" not in response.url, f"sign-in failed for {email}"

    def enrol_if_asked(self) -> None:
        """Staff must have a second factor before any page with data: add an authenticator app
        the way a person does — read the setup key off the page, type the app's code."""
        import pyotp

        _, page = self.get("/")
        key = re.search(r'<code class="portal-secret">([A-Z2-7 ]+)</code>', page)
        if key is None:
            return
        factor = re.search(r'name="factor" value="(\d+)"', page)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert factor and token, "no enrolment form"
        code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
        body = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "factor": factor.group(1), "name": "Bench app",
             "code": code}
        ).encode()  # fmt: skip
        with self.opener.open(self.base + "/account/second-factor/app", body, timeout=30) as r:
            assert r.status == 200, "enrolment refused"

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def forget_second_factors(database: str, email: str) -> None:
    """Drop a benchmark account's second factors, so that it signs in with its password and
    enrols anew (:meth:`Browser.enrol_if_asked`): the key is not kept between runs."""
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Aq", "-v",
         f"email={email}"],
        input="DELETE FROM second_factors WHERE user_id ="
        " (SELECT id FROM users WHERE email = :'email');",
        check=True, capture_output=True, text=True,
    )  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bench_app(workdir: Path, **config: Any) -> Any:
    """The portal on a fresh SQLite database in ``workdir``, migrated (PDF benchmarks)."""
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app(
        {
            "SECRET_KEY": "b" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "PDF_CACHE_DIR": str(workdir / "cache"),
            **config,
        }
    )
    with app.app_context():
        upgrade()
    return app


def time_page(browser: Browser, path: str, count: int, warm_up: int = 5) -> list[float]:
    """``count`` timings (ms) of GET ``path`` after ``warm_up`` requests (every worker warm).
    A page that redirects elsewhere (a sign-in, the second-factor enrolment gate) fails: timing
    the page it lands on would measure the wrong page."""
    for _ in range(warm_up):
        status, _ = browser.get(path)
        assert status == 200, f"{path}: HTTP {status}"
        landed = urllib.parse.urlsplit(browser.last_url).path
        assert landed == urllib.parse.urlsplit(path).path, f"{path}: redirected to {landed}"
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        browser.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def median(values: list[float]) -> float:
    return statistics.median(values)


def prepare_operators(
    database_url: str, instance: Path, users: int, password: str, name: str
) -> list[tuple[str, int]]:
    """A fresh schema with ``users`` operators, each with its own water system and a draft;
    returns (email, assessment id) for each."""
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from portal import create_app
    from portal.assessments import lifecycle
    from portal.auth import service as accounts
    from portal.extensions import db
    from portal.models import Base

    app = create_app({"SECRET_KEY": "b" * 40, "SQLALCHEMY_DATABASE_URI": database_url})
    made = []
    with app.test_request_context():
        with db.engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        for index in range(users):
            user = accounts.register_organization(
                accounts.NewOrganization(
                    f"{name.title()} Org {index}", ["water"], "public", "micro", "OH", "Pine"
                ),
                f"User {index}",
                f"user{index}@{name}.example.org",
                password,
            )
            assessment = lifecycle.start(user.organization, user)  # type: ignore[arg-type]
            made.append((user.email, assessment.id))
        db.session.commit()
        db.engine.dispose()
    return made
