"""The flask commands a new installation uses."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Organization, Role, User
from tests.conftest import login


def test_seed_demo_prints_logins_and_is_idempotent(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "coordinator@demo.test" in result.output
    assert "hospital@demo.test" in result.output
    again = runner.invoke(args=["seed-demo"])
    assert "already there" in again.output
    with app.app_context():
        sectors = {s for o in db.session.scalars(sa.select(Organization)) for s in o.sectors}
        assert {s.value for s in sectors} == {"hospital", "bank", "water", "electric"}
    client = app.test_client()
    login(client, "water@demo.test", "demo-password-2026")
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
    assert version == "0001_initial"
