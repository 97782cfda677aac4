"""The portal as a wheel: built from the checkout, installed outside it, and run from another
folder — the questionnaires, KEV and end-of-support data, templates, static files, migrations and
the common-password list travel inside the package (portal/_files, portal/auth)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_installs_and_runs_from_any_folder(tmp_path: Path) -> None:
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PORTAL_"))}
    env.pop("DATABASE_URL", None)
    run([str(BIN / "pip"), "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], ROOT, env)
    (wheel,) = wheels.glob("readiness_portal-*.whl")
    run([str(BIN / "pip"), "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        tmp_path, env)  # fmt: skip
    # Only the installed copy is importable: the checkout is neither the folder nor on the path.
    env |= {"PYTHONPATH": str(target), "PORTAL_INSTANCE_PATH": str(elsewhere / "instance")}
    flask = [str(BIN / "python"), "-m", "flask", "--app", "portal"]
    run([*flask, "db", "upgrade"], elsewhere, env)
    assert "entries" in run([*flask, "kev", "import", "--if-empty"], elsewhere, env)
    check = textwrap.dedent(
        f"""
        import portal
        from portal.app import create_app
        from portal.config import FROM_CHECKOUT, PROJECT_ROOT
        from portal.kev.catalog import SNAPSHOT
        from portal.auth.passwords import COMMON_PASSWORDS

        assert portal.__file__.startswith({str(target)!r}), portal.__file__
        assert not FROM_CHECKOUT and PROJECT_ROOT.is_relative_to({str(target)!r})
        assert SNAPSHOT.is_file() and COMMON_PASSWORDS.is_file()
        app = create_app()
        with app.app_context():
            from portal import questionnaire_versions
            assert len(questionnaire_versions.current().modules) >= 5
        client = app.test_client()
        for path in ("/login", "/static/css/portal.css", "/static/css/print.css"):
            response = client.get(path)
            assert response.status_code == 200, path
            response.close()
        from portal.reports.pdf import render_pdf
        pdf = render_pdf("<h1>Plan</h1>", PROJECT_ROOT / "static", None)
        assert pdf.startswith(b"%PDF-")
        print("ok")
        """
    )
    assert run([str(BIN / "python"), "-c", check], elsewhere, env).strip().endswith("ok")
