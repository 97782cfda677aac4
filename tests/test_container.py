"""The container image, built and run as a state would run it: the Dockerfile built on a Debian 12
base with the locked wheels (no registry is reachable from the build machines, so the base is
made with mmdebstrap and imported into podman, and the wheels are downloaded beforehand), then
the web server and an RQ worker started against the host's PostgreSQL and Redis, in production
mode, as an unprivileged user on a read-only root file system, with the secret key given as a
file. A person signs in, submits an assessment and downloads its plan (rendered by the worker);
everything made is removed.

Needs podman, runc and mmdebstrap (`.ci/run` installs them); skipped where they are missing.
On these machines podman runs containers with runc and cgroupfs, with the open-file and process
limits set below the host's (the container may not raise them).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PODMAN = [shutil.which("podman") or "podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
BASE = "localhost/portal-base:bookworm"
CONTEXT = ("Dockerfile", ".dockerignore", "pyproject.toml", "setup.py", "README.md",
           "requirements.lock", "requirements-build.lock", "portal", "templates", "static", "questionnaires",
           "translations",
           "migrations", "data")  # fmt: skip
POSTGRES = os.environ.get("CONTAINER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PASSWORD = "demo-password-2026"

pytestmark = pytest.mark.skipif(
    not (shutil.which("podman") and shutil.which("mmdebstrap") and shutil.which("runc")),
    reason="podman, runc and mmdebstrap are not installed here (.ci/run installs them)",
)


def podman(*args: str, timeout: int = 600) -> str:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"podman {' '.join(args[:3])}…:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def base_image(tmp_path: Path) -> None:
    """A minimal Debian 12 with Python and WeasyPrint's libraries, made once per machine."""
    found = subprocess.run([*PODMAN, "image", "exists", BASE], capture_output=True)
    if found.returncode == 0:
        return
    tar = tmp_path / "base.tar"
    subprocess.run(
        [shutil.which("mmdebstrap") or "mmdebstrap", "--variant=minbase", "--include=python3,python3-venv,libpango-1.0-0,"
         "libpangoft2-1.0-0,libharfbuzz-subset0,fonts-dejavu-core,ca-certificates",
         "bookworm", str(tar)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    podman("import", str(tar), BASE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database() -> Iterator[str]:
    name = f"portal_container_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(f"{POSTGRES.replace('postgresql://', 'postgresql+psycopg://')}/test",
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("Content-Type", "")

    def post(self, path: str, page: str, fields: dict[str, str]) -> tuple[int, str]:
        _, html, _ = self.get(page)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert token, f"no form on {page}"
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1).decode()}).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            return response.status, response.url


def ready(browser: Browser) -> bool:
    try:
        return browser.get("/readyz")[0] == 200
    except urllib.error.URLError:  # not listening yet
        return False


def test_the_image_serves_signs_in_submits_and_renders_a_plan(
    tmp_path: Path, database: str
) -> None:
    base_image(tmp_path)
    context = tmp_path / "context"
    context.mkdir()
    for name in CONTEXT:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, context / name)
    subprocess.run(
        [str(Path(sys.executable)), str(ROOT / "scripts/wheelhouse.py"),
         str(ROOT / "requirements.lock"), str(context / "wheelhouse"),
         str(Path(sys.executable).parent / "pip")],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    tag = f"localhost/readiness-portal:test-{secrets.token_hex(3)}"
    podman("build", "--format", "docker", *LIMITS, "--build-arg", f"BASE={BASE}", "-t", tag,
           str(context), timeout=900)  # fmt: skip
    assert "/readyz" in podman("image", "inspect", tag, "--format", "{{json .HealthCheck}}")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "secret_key").write_text(secrets.token_urlsafe(48) + "\n")
    (secrets_dir / "secret_key").chmod(0o644)
    port, suffix = free_port(), secrets.token_hex(3)
    volume = f"portal-test-{suffix}"
    settings = {
        "DATABASE_URL": database,
        "SECRET_KEY_FILE": "/run/secrets/secret_key",
        "MAIL_BACKEND": "dummy",
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback here; nginx does TLS
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "PDF_QUEUE": f"container-pdf-{suffix}",
        "MAIL_QUEUE": f"container-mail-{suffix}",
        "PORT": str(port),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_WORKERS": "2",
    }
    run = ["run", "--network", "host", *LIMITS, "--read-only", "--tmpfs", "/tmp",  # noqa: S108
           "-v", f"{volume}:/var/lib/portal", "-v", f"{secrets_dir}:/run/secrets:ro",
           *(flag for k, v in settings.items() for flag in ("-e", f"{k}={v}"))]  # fmt: skip
    started: list[str] = []
    try:
        podman(*run, "--rm", tag, "flask", "db", "upgrade")
        # Demo accounts are refused in production: seeded by a development-mode run.
        podman(*run, "--rm", "-e", "PORTAL_ENV=development", tag, "flask", "seed-demo")
        started.append(podman(*run, "-d", tag).strip())
        started.append(
            podman(*run, "-d", tag, "rq", "worker", "-c", "portal.rq_settings",
                   "-w", "portal.worker.Worker", settings["PDF_QUEUE"], settings["MAIL_QUEUE"]).strip()
        )  # fmt: skip
        browser = Browser(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 90
        while not ready(browser):
            assert time.monotonic() < deadline, podman("logs", started[0])
            time.sleep(1)
        # Runs as the unprivileged user, on a read-only root.
        assert podman("exec", started[0], "id", "-u").strip() == "10001"
        touched = subprocess.run([*PODMAN, "exec", started[0], "touch", "/opt/portal/x"],
                                 capture_output=True, text=True)  # fmt: skip
        assert touched.returncode != 0 and "Read-only file system" in touched.stderr
        # The co-op's operator submits the draft its next round began with.
        status, landed = browser.post(
            "/login", "/login", {"email": "electric@demo.example.org", "password": PASSWORD}
        )
        assert status == 200 and "/login" not in landed
        engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as connection:
            draft = connection.execute(sa.text(
                "SELECT a.id FROM assessments a JOIN users u ON u.organization_id = "
                "a.organization_id WHERE u.email = 'electric@demo.example.org' AND "
                "a.status = 'draft'")).scalar_one()  # fmt: skip
        engine.dispose()
        status, landed = browser.post(
            f"/assessments/{draft}/submit", f"/assessments/{draft}/review", {}
        )
        assert status == 200 and landed.endswith(f"/assessments/{draft}/results"), landed
        # Its plan, made by the worker (the first request may get the "preparing" page).
        deadline = time.monotonic() + 120
        while True:
            status, body, kind = browser.get(f"/assessments/{draft}/plan.pdf")
            if status == 200 and kind == "application/pdf":
                break
            assert status == 202 and time.monotonic() < deadline, (status, body[:300])
            time.sleep(2)
        assert body.startswith(b"%PDF-") and len(body) > 20_000
        assert "Job OK" in podman("logs", started[1])  # the worker rendered it
    finally:
        for container in started:
            subprocess.run([*PODMAN, "rm", "-f", container], capture_output=True)
        subprocess.run([*PODMAN, "volume", "rm", "-f", volume], capture_output=True)
        subprocess.run([*PODMAN, "rmi", "-f", tag], capture_output=True)
