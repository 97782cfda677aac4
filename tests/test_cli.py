"""The flask commands a new installation uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Assessment, Organization, Role, ToolRequest, User, utcnow
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


def test_the_demo_shows_a_living_program_to_every_login(app: Flask, runner: Any) -> None:
    """A new user sees a program at once: a queue in every state of the review loop, a dashboard
    over several counties, exposure, tool requests in each state, and operators whose logins
    open on results — and on a draft or a returned assessment. (As `make run` does: the KEV
    snapshot first, so the demo's products match it.)"""
    assert runner.invoke(args=["kev", "import", "--if-empty"]).exit_code == 0
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data added: assessments 10 accepted, 1 draft, 1 returned, 1 submitted." in (
        result.output
    )
    with app.app_context():
        statuses = {r.status.value for r in db.session.scalars(sa.select(ToolRequest))}
        assert statuses == {"submitted", "approved", "denied", "fulfilled"}
        history = db.session.scalars(
            sa.select(Assessment.submitted_at).where(Assessment.submitted_at.is_not(None))
        ).all()
        days = sorted((utcnow().replace(tzinfo=None) - _naive(s)).days for s in history)
        assert days[0] == 0 and days[-1] >= 90  # a quarter of history
    password = "demo-password-2026"
    coordinator = app.test_client()
    login(coordinator, "coordinator@demo.example.org", password)
    queue = coordinator.get("/review/").get_data(as_text=True)
    for name in ("Pine County Memorial Hospital", "First Farmers Community Bank",
                 "Oak Ridge Community Hospital"):  # fmt: skip
        assert name in queue
    for status in ("Submitted", "Returned", "Accepted"):
        assert status in queue
    dashboard = coordinator.get("/review/dashboard").get_data(as_text=True)
    assert "Pike, OH" in dashboard and "Ross, OH" in dashboard
    assert "Who runs it" in coordinator.get("/review/exposure/").get_data(as_text=True)
    requests = coordinator.get("/review/tool-requests").get_data(as_text=True)
    assert "Approve" in requests  # the hospital's, waiting
    for email, page_has in (
        ("hospital@demo.example.org", "Download the plan (PDF)"),
        ("water@demo.example.org", "Download the plan (PDF)"),
    ):
        operator = app.test_client()
        login(operator, email, password)
        assessment = _latest(app, email, submitted=True)
        assert page_has in operator.get(f"/assessments/{assessment}/results").get_data(as_text=True)
    bank = app.test_client()
    login(bank, "bank@demo.example.org", password)
    returned = bank.get("/assessments/").get_data(as_text=True)
    # Returned for revision: the coordinator's comment and the task list, on the first page.
    assert "call-back to a number already on file" in returned
    electric = app.test_client()
    login(electric, "electric@demo.example.org", password)
    overview = electric.get("/assessments/").get_data(as_text=True)
    assert "Continue the assessment" in overview  # its next round, begun
    accepted = _latest(app, "electric@demo.example.org", submitted=True)
    assert f"/assessments/{accepted}/results" in overview
    # The begun round can be submitted as it is (the container test submits it): the answers a
    # re-assessment does not pre-fill were given again.
    draft = _latest(app, "electric@demo.example.org", submitted=False)
    review = electric.get(f"/assessments/{draft}/review").get_data(as_text=True)
    assert "still need" not in review, draft


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _latest(app: Flask, email: str, *, submitted: bool) -> int:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        query = sa.select(Assessment.id).where(Assessment.organization_id == user.organization_id)
        if submitted:
            query = query.where(Assessment.submitted_at.is_not(None))
        found = db.session.scalar(query.order_by(Assessment.id.desc()).limit(1))
        assert found is not None
        return found


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
    assert "OK: version 2026.5" in result.output
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


def test_seed_demo_refuses_a_database_with_real_accounts(app: Flask, runner: Any) -> None:
    """Whatever PORTAL_ENV says: demo accounts have a published password."""
    made = runner.invoke(
        args=["create-admin", "--email", "ops@state.example.gov", "--name", "Ops"],
        input="a-long-admin-password\na-long-admin-password\n",
    )
    assert made.exit_code == 0, made.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "a database that has real accounts" in refused.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
