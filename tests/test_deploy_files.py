"""The files of the install recipe (docs/deploy.md) as a server reads them: the settings the
generator writes are accepted by production's checks once mail is set (and refused before), the
nginx site passes `nginx -t` with its catch-all answering unknown hosts with nothing, and systemd
accepts every unit. Skipped where nginx or systemd-analyze is not installed."""

from __future__ import annotations

import dataclasses
import gzip
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portal.config import ConfigError, check_production_config, from_environment
from tests import nginx_site

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SH = shutil.which("sh") or "/bin/sh"


def settings(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            found[name] = value.strip('"')
    return found


def test_the_settings_generator_makes_every_secret_and_leaves_mail_to_the_reader(
    tmp_path: Path,
) -> None:
    made, again = tmp_path / "portal.env", tmp_path / "other.env"
    for out in (made, again):
        subprocess.run([SH, str(DEPLOY / "make-env.sh"), "readiness.state.example.org", str(out)],
                       check=True, capture_output=True)  # fmt: skip
    assert oct(made.stat().st_mode & 0o777) == "0o640"
    # An existing file is kept: its secrets are in use.
    refused = subprocess.run([SH, str(DEPLOY / "make-env.sh"), "x.example.org", str(made)],
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode == 1 and "is kept" in refused.stderr
    made, again = made.read_text(), again.read_text()
    values, other = settings(made), settings(again)
    for name in ("SECRET_KEY", "METRICS_TOKEN", "MFA_SECRET_KEYS", "DATABASE_URL", "REDIS_URL"):
        assert values[name] != other[name] and "CHANGE-ME" not in values[name], name
    assert len(values["SECRET_KEY"]) == 64
    assert values["PORTAL_BASE_URL"] == "https://readiness.state.example.org"
    # The example's mail server is still there: production refuses it until it is edited …
    with pytest.raises(ConfigError, match="MAIL_"):
        check_production_config(from_environment(values))
    # … and starts without mail, or with the reader's own.
    without_mail = {k: v for k, v in values.items() if not k.startswith("MAIL_")}
    check_production_config(from_environment(without_mail))


def nginx_t(folder: Path, site: str) -> None:
    """`nginx -t` of ``site`` in a server configuration of its own (no root needed)."""
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        f"pid {folder}/nginx.pid; error_log {folder}/error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; include {folder}/site.conf; }}\n"
    )
    checked = subprocess.run([shutil.which("nginx") or "nginx", "-t", "-c", str(folder / "nginx.conf")],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    site = nginx_site.site_text(*nginx_site.self_signed(tmp_path, "test"))
    nginx_t(tmp_path, site)
    assert "listen 80 default_server;" in site and "return 444;" in site


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_the_compose_nginx_template_passes_nginx_t(tmp_path: Path) -> None:
    """As the nginx image writes it: PORTAL_HOST filled in (the upstream named for this machine,
    where no `web` container resolves)."""
    template = (DEPLOY / "compose" / "nginx.conf").read_text(encoding="utf-8")
    assert template.count("${PORTAL_HOST}") == 1
    site = template.replace("${PORTAL_HOST}", "readiness.state.example.org")
    site = site.replace("http://web:8000", "http://127.0.0.1:8000")
    nginx_t(tmp_path, site)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_every_unit() -> None:
    units = sorted(str(p) for p in (DEPLOY / "systemd").iterdir())
    assert any(u.endswith("readiness-portal-backup.timer") for u in units)
    checked = subprocess.run([shutil.which("systemd-analyze") or "systemd-analyze", "verify", *units],
                             capture_output=True, text=True)  # fmt: skip
    # The programs of the server that do not exist here (/srv/readiness-portal/…) are the only
    # complaints (they alone make the exit status 1).
    complaints = [
        line for line in checked.stderr.splitlines()
        if line.strip() and not re.search(r"Command /srv/readiness-portal/\S+ is not executable", line)
    ]  # fmt: skip
    assert complaints == []


def postgres_here() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not postgres_here(), reason="no PostgreSQL on 127.0.0.1:5432 here")
def test_the_recipe_reads_the_passwords_back_as_written(tmp_path: Path) -> None:
    """Steps 4 and 5 of docs/deploy.md, as written: the role made with the password read from the
    settings file (against this machine's PostgreSQL, under a name of its own), and Redis's
    requirepass line."""
    settings_file = tmp_path / "portal.env"
    subprocess.run([SH, str(DEPLOY / "make-env.sh"), "h.example.org", str(settings_file)],
                   check=True, capture_output=True)  # fmt: skip
    recipe = (DEPLOY.parent / "docs" / "deploy.md").read_text(encoding="utf-8")
    steps = [line.strip() for line in recipe.splitlines()]
    read_password = next(s for s in steps if s.startswith("export PORTAL_DB_PASSWORD="))
    create_role = next(s for s in steps if s.startswith("printf '%s\\n' '\\getenv pw"))
    redis_line = next(s for s in steps if s.startswith("sed -n 's|^REDIS_URL="))
    role = f"portal_doc_{os.getpid()}"
    script = "\n".join([
        read_password,
        create_role.replace("runuser -u postgres -- psql", "psql -h 127.0.0.1 -U postgres -d test")
        .replace("CREATE ROLE portal ", f"CREATE ROLE {role} "),
        redis_line.split(" > ")[0],
    ]).replace("/etc/readiness-portal/portal.env", str(settings_file))  # fmt: skip
    try:
        done = subprocess.run([SH, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        values = settings(settings_file.read_text())
        redis_password = urllib.parse.urlsplit(values["REDIS_URL"]).password
        assert done.stdout.splitlines()[-1] == f"requirepass {redis_password}"
        database = urllib.parse.urlsplit(values["DATABASE_URL"])
        engine = sa.create_engine(
            f"postgresql+psycopg://{role}:{database.password}@127.0.0.1:5432/test"
        )
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT current_user")).scalar() == role
        engine.dispose()
        # (This machine's PostgreSQL trusts local connections: that the password is set, as a
        # SCRAM verifier, is what can be checked here.)
        superuser = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        with superuser.connect() as connection:
            verifier = connection.execute(
                sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}
            ).scalar()
        superuser.dispose()
        assert str(verifier).startswith("SCRAM-SHA-256$")
    finally:
        subprocess.run([shutil.which("psql") or "psql", "-h", "127.0.0.1", "-U", "postgres", "-d",
                        "test", "-qc", f"DROP ROLE IF EXISTS {role}"], capture_output=True)  # fmt: skip


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_through_the_nginx_site_pages_come_compressed_but_never_one_with_a_secret(
    app: Any, world: Any, tmp_path: Path
) -> None:
    """The site as written (TLS, its host name, gzip off) in front of the portal: a page comes
    compressed by the portal, the authenticator-setup page (its key on it) never is, and a
    hashed static file is nginx's precompressed copy (#34)."""
    from werkzeug.serving import make_server

    from portal import static_files
    from portal.config import PROJECT_ROOT
    from tests.factories import PASSWORD

    static = tmp_path / "static-build"
    static_files.build(PROJECT_ROOT / "static", static)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = _free_port()
    try:
        with nginx_site.running_site(tmp_path, port, _free_port(), server.server_port, static):
            _through_the_site(port, world.operator_a, PASSWORD, static)
    finally:
        server.shutdown()
        thread.join(5)


def _through_the_site(port: int, email: str, password: str, static: Path) -> None:
    site_client = _SiteClient(port)
    site_client.sign_in(email, password)
    account = site_client.get("/account/")
    assert account.status == 200 and account.header("Content-Encoding") == "gzip"
    setup = site_client.get("/account/second-factor/app")
    assert setup.status == 200 and setup.header("Content-Encoding") is None
    assert b"portal-secret" in setup.body
    manifest = json.loads((static / "current").resolve().with_suffix(".json").read_text())
    css = site_client.get("/static/" + manifest["css/portal.css"])
    assert css.status == 200 and css.header("Content-Encoding") == "gzip"
    assert "immutable" in (css.header("Cache-Control") or "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass
class _Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class _SiteClient:
    """HTTPS to the site's own host name on 127.0.0.1 (its SNI and Host), cookies kept."""

    HOST = nginx_site.HOST

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> _Answer:
        connection = http.client.HTTPSConnection(self.HOST, self.port, context=self.context)
        sock = socket.create_connection(("127.0.0.1", self.port))
        connection.sock = self.context.wrap_socket(sock, server_hostname=self.HOST)
        try:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers={
                "Accept-Encoding": "gzip", "Sec-Fetch-Site": "none",  # as a browser's typed address
                **({"Cookie": cookie} if cookie else {}), **headers})  # fmt: skip
            response = connection.getresponse()
            answer = _Answer(response.status, response.msg, response.read())
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return answer

    def get(self, path: str) -> _Answer:
        return self.request("GET", path)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/login")
        html = (
            gzip.decompress(page.body) if page.header("Content-Encoding") else page.body
        ).decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert token, html[:300]
        form = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": token.group(1)}
        )
        signed = self.request("POST", "/login", form.encode(), **{
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{self.HOST}", "Referer": f"https://{self.HOST}/login"})  # fmt: skip
        assert signed.status == 302 and "/login" not in (signed.header("Location") or ""), (
            signed.status
        )
