"""The command line refuses bad input with one clear line and a non-zero exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import User
from tests.factories import QUESTIONNAIRE_DIR

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def test_create_admin_wants_an_email_address_and_a_name(app: Flask, runner: Any) -> None:
    password = "a-long-enough-password"
    bad_email = runner.invoke(
        args=["create-admin", "--email", "not-an-email", "--name", "Ada"],
        input=f"{password}\n{password}\n",
    )
    assert bad_email.exit_code != 0
    assert "'not-an-email' is not an email address" in bad_email.output
    no_name = runner.invoke(
        args=["create-admin", "--email", "ada@state.example.gov", "--name", "   "],
        input=f"{password}\n{password}\n",
    )
    assert no_name.exit_code != 0 and "Give the admin's full name" in no_name.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    made = runner.invoke(
        args=["create-admin", "--email", " Ada@State.Example.gov ", "--name", " Ada  Lovelace "],
        input=f"{password}\n{password}\n",
    )
    assert made.exit_code == 0, made.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None and user.full_name == "Ada Lovelace"
        assert user.email == "ada@state.example.gov"  # as every account email is kept


def test_outline_of_an_unknown_module_names_the_modules_there_are(runner: Any) -> None:
    result = runner.invoke(args=["questionnaire", "outline", "nosuch"])
    assert result.exit_code != 0
    assert "No module nosuch: the modules are core, hospital, bank, water, electric" in (
        result.output
    )


def test_broken_yaml_in_one_file_does_not_hide_another_files_problem(
    runner: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "questionnaires"
    shutil.copytree(QUESTIONNAIRE_DIR, folder)
    (folder / "water.yaml").write_text("sections: [unclosed\n", encoding="utf-8")
    bank = folder / "bank.yaml"
    bank.write_text(bank.read_text(encoding="utf-8").replace(" text:", " txet:", 1))
    result = runner.invoke(args=["questionnaire", "validate", "--dir", str(folder)])
    assert result.exit_code != 0
    assert "water.yaml" in result.output and "is not valid YAML" in result.output
    assert "bank.yaml" in result.output


def test_a_production_configuration_error_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SECRET", "PORTAL"))}
    env.update(PORTAL_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    result = subprocess.run(
        [FLASK, "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: SECRET_KEY is missing"), lines


def flask_command(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PORTAL", "REDIS"))}
    env |= settings
    return subprocess.run(
        [FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_database_url_that_is_none_or_unreachable_is_one_line_naming_it(
    tmp_path: Path,
) -> None:
    for url, says in (
        ("postgres://portal@db-host:54x2/portal", "Error: DATABASE_URL is not a database URL"),
        ("mysql://portal@db-host/portal", "Error: DATABASE_URL names a 'mysql' database"),
        (
            "postgresql://portal:s3cret-pass@127.0.0.1:1/portal",
            "Error: cannot use the database of DATABASE_URL "
            "(postgresql+psycopg://portal:***@127.0.0.1:1/portal): connection failed",
        ),
        (
            f"sqlite:///{tmp_path}/empty.sqlite3",
            "(a new database: run `flask db upgrade` first)",
        ),
    ):
        result = flask_command("kev", "import", "--if-empty", DATABASE_URL=url)
        lines = (result.stdout + result.stderr).strip().splitlines()
        assert result.returncode == 1, url
        assert len(lines) == 1 and says in lines[0], lines
        assert "s3cret-pass" not in lines[0]


def test_flask_static_build_in_production_does_not_first_ask_for_itself(tmp_path: Path) -> None:
    result = flask_command(
        "static", "build",
        PORTAL_ENV="production", SECRET_KEY="k" * 40, MAIL_BACKEND="dummy",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3", STATIC_BUILD_DIR=str(tmp_path / "static"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no static build" not in result.stdout + result.stderr
