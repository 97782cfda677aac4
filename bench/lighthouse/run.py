"""Lighthouse on the portal's key pages — run by hand: `.venv/bin/python bench/lighthouse/run.py`.

Installs Lighthouse on demand (npm, version in bench/lighthouse/package.json) and runs it with
Debian's Chromium, mobile and desktop presets, on: home (signed out), sign-in, a wizard step,
results (an operator), and the coordinator's queue and dashboard. The portal runs under gunicorn
with the production static setup (`flask static build`, WhiteNoise) and PORTAL_ENV=production,
on a throwaway SQLite database with a typical hospital that has submitted and started again;
signed-in pages get the session cookie. Prints a table of the four category scores per page
and preset (for bench/RESULTS.md) and keeps every report in --out.

``--nginx``: through the production nginx site (deploy/nginx/readiness-portal.conf as written:
TLS with a throwaway certificate, its host name mapped to 127.0.0.1, static files from the build,
pages compressed by the portal) — as a state's server serves it. Needs nginx and openssl.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE.parent))

from _common import Browser, gunicorn  # noqa: E402

from tests.nginx_site import HOST, running_site  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def lighthouse() -> Path:
    binary = HERE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(HERE)], check=True
        )
    return binary


def prepare(workdir: Path) -> dict[str, str]:
    """The database, the static build and the accounts; returns the environment to serve it."""
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
        "PORTAL_INSTANCE_PATH": str(workdir / "instance"),
        "SECRET_KEY": "l" * 64,
    }
    os.environ.update(env)
    from flask_migrate import upgrade

    from portal import create_app, static_files
    from portal.assessments import lifecycle
    from portal.auth import service
    from portal.config import PROJECT_ROOT
    from portal.extensions import db
    from portal.models import Jurisdiction, Role, User
    from tests.factories import PASSWORD, submit_typical

    app = create_app({"PASSWORD_HASH_FOR_TESTS": False})
    with app.app_context():
        upgrade()
    assessment_id, email = submit_typical(app, "hospital", "OH")
    with app.test_request_context():
        ohio = Jurisdiction(name="Ohio", state="OH")
        db.session.add(ohio)
        db.session.flush()
        service.create_staff_user(
            Role.COORDINATOR, "Casey Coordinator", "coordinator@bench.example.org", PASSWORD, [ohio]
        )
        operator = db.session.query(User).filter_by(email=email).one()
        draft = lifecycle.start(operator.organization, operator)  # type: ignore[arg-type]
        db.session.commit()
        draft_id = draft.id
        static_files.build(PROJECT_ROOT / "static", static_files.build_dir(app))
        env["STATIC_BUILD"] = str(static_files.build_dir(app))
    return {
        **env,
        "PORTAL_ENV": "production",
        "SESSION_COOKIE_SECURE": "false",  # plain http on loopback
        "PORTAL_BASE_URL": "http://127.0.0.1:8091",
        "OPERATOR": email,
        "PASSWORD": PASSWORD,
        "RESULTS": f"/assessments/{assessment_id}/results",
        "WIZARD": f"/assessments/{draft_id}/steps/1",
    }


SITE_HOST = HOST
SITE_PORT = 8443
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
# Through nginx: its host name on 127.0.0.1, its throwaway certificate accepted.
SITE_FLAGS = f" --host-resolver-rules='MAP {SITE_HOST} 127.0.0.1' --ignore-certificate-errors"


@contextlib.contextmanager
def through_nginx(workdir: Path, upstream: int, static_build: str) -> Iterator[str]:
    """The production site in front of gunicorn on ``upstream``; yields its base URL."""
    with running_site(workdir, SITE_PORT, 8088, upstream, Path(static_build)):
        yield f"https://{SITE_HOST}:{SITE_PORT}"


def run(
    binary: Path, url: str, preset: str, cookie: str | None, out: Path, flags: str = ""
) -> dict[str, int]:
    command = [
        str(binary), url, "--quiet", "--output=json", f"--output-path={out}",
        f"--chrome-path={CHROMIUM}", f"--chrome-flags={CHROME_FLAGS}{flags}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]  # fmt: skip
    if preset == "desktop":
        command.append("--preset=desktop")
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, timeout=300)
    report = json.loads(out.read_text())
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    audits = report["audits"]
    scores["cls"] = audits["cumulative-layout-shift"]["numericValue"]  # type: ignore[assignment]
    scores["kib"] = round(audits["total-byte-weight"]["numericValue"] / 1024)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "lighthouse")
    parser.add_argument("--nginx", action="store_true", help="through the production nginx site")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    binary = lighthouse()
    workdir = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    workdir.chmod(0o755)  # nginx's workers read the static build in it
    env = prepare(workdir)
    if args.nginx:
        env["PROXY_HOPS"] = "1"
    with contextlib.ExitStack() as stack:
        direct = stack.enter_context(gunicorn("portal:create_app()", 8091, env))
        base, flags = direct, ""
        if args.nginx:
            base = stack.enter_context(through_nginx(workdir, 8091, env["STATIC_BUILD"]))
            flags = SITE_FLAGS
        operator, coordinator = Browser(direct), Browser(direct)
        operator.sign_in(env["OPERATOR"], env["PASSWORD"])
        coordinator.sign_in("coordinator@bench.example.org", env["PASSWORD"])
        pages = [
            ("home", "/", None),
            ("sign-in", "/login", None),
            ("wizard step", env["WIZARD"], operator),
            ("results", env["RESULTS"], operator),
            ("queue", "/review/", coordinator),
            ("dashboard", "/review/dashboard", coordinator),
        ]
        print("| page | preset | Performance | Accessibility | Best Practices | SEO | CLS | KiB |")
        print("|---|---|---|---|---|---|---|---|")
        for name, path, who in pages:
            for preset in ("mobile", "desktop"):
                report = args.out / f"{name.replace(' ', '-')}-{preset}.json"
                cookie = who.cookie_header() if who else None
                scores = run(binary, base + path, preset, cookie, report, flags)
                print(
                    f"| {name} | {preset} | "
                    + " | ".join(str(scores[c]) for c in CATEGORIES)
                    + f" | {scores['cls']:.3f} | {scores['kib']} |"
                )
                sys.stdout.flush()


if __name__ == "__main__":
    main()
