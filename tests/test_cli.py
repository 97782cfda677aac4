"""The flask commands a new installation uses."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Organization, Role, User
from tests.web import login


def test_seed_demo_prints_logins_and_is_idempotent(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "coordinator@demo.example.org" in result.output
    assert "hospital@demo.example.org" in result.output
    again = runner.invoke(args=["seed-demo"])
    assert "already there" in again.output
    with app.app_context():
        sectors = {s for o in db.session.scalars(sa.select(Organization)) for s in o.sectors}
        assert set(sectors) == {"hospital", "bank", "water", "electric"}
    client = app.test_client()
    login(client, "water@demo.example.org", "demo-password-2026")
    assert "Town of Cedar Falls" in client.get("/").get_data(as_text=True)


def test_create_admin(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=["create-admin", "--email", "Root@Portal.example.org", "--name", "Root Admin"],
        input="a-long-admin-password\na-long-admin-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "root@portal.example.org"))
        assert user is not None and user.role is Role.ADMIN
    duplicate = runner.invoke(
        args=["create-admin", "--email", "root@portal.example.org", "--name", "Again"],
        input="a-long-admin-password\na-long-admin-password\n",
    )
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output


def test_db_upgrade_command_brings_the_database_to_head(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        version = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from portal.config import PROJECT_ROOT

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    assert version == ScriptDirectory.from_config(config).get_current_head()


def test_questionnaire_validate_and_outline(runner: Any) -> None:
    result = runner.invoke(args=["questionnaire", "validate"])
    assert result.exit_code == 0, result.output
    assert "OK: version 2026.3" in result.output
    outline = runner.invoke(args=["questionnaire", "outline", "water"])
    assert outline.exit_code == 0
    assert "water.manual_operation" in outline.output
    assert "CRITICAL" in outline.output
    assert "core.security_lead" not in outline.output


def test_questionnaire_validate_reports_problems_without_traceback(
    runner: Any, tmp_path: Any, project_root: Any
) -> None:
    import shutil

    folder = tmp_path / "q"
    shutil.copytree(project_root / "questionnaires", folder)
    text = (folder / "bank.yaml").read_text()
    (folder / "bank.yaml").write_text(text.replace("priority: governance", "priority: morale", 1))
    result = runner.invoke(args=["questionnaire", "validate", "--dir", str(folder)])
    assert result.exit_code != 0
    assert "bank.yaml: bank." in result.output
    assert "unknown priority 'morale'" in result.output
    assert "Traceback" not in result.output


def test_app_refuses_to_start_with_a_bad_questionnaire(tmp_path: Any, project_root: Any) -> None:
    import shutil

    import pytest

    from portal import create_app
    from portal.questionnaire import QuestionnaireInvalid

    folder = tmp_path / "q"
    shutil.copytree(project_root / "questionnaires", folder)
    (folder / "tools.yaml").write_text("version: '1'\ntools: []\n")
    with pytest.raises(
        QuestionnaireInvalid, match=r"tools\.yaml: 'tools' must be a non-empty list"
    ):
        create_app(
            {
                "TESTING": True,
                "QUESTIONNAIRE_DIR": str(folder),
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )
