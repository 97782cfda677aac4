"""Migrations build the schema from nothing, match the models, and come back down cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.config import normalise_database_url
from portal.extensions import db
from portal.models import Base
from tests.factories import TEST_SECRET


def _fresh_urls(tmp_path: Path) -> list[str]:
    urls = ["sqlite:///" + str(tmp_path / "fresh.sqlite3")]
    if os.environ.get("TEST_DATABASE_URL"):
        urls.append(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    return urls


@pytest.mark.parametrize("which", [0, 1], ids=["sqlite", "postgresql"])
def test_upgrade_matches_models_and_downgrade_empties(tmp_path: Path, which: int) -> None:
    urls = _fresh_urls(tmp_path)
    if which >= len(urls):
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL run happens in CI")
    url = urls[which]
    if url.startswith("postgresql"):
        # Use a separate throwaway database so the session-wide test schema is untouched.
        # Named after the run's own database, so two runs on one server never share it.
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"{sa.engine.make_url(url).database}_migrations"
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app(
            {"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": url}
        )
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(
                    MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
                )
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            with db.engine.connect() as conn:
                remaining = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert remaining == set()
            db.engine.dispose()
    finally:
        if url.startswith("postgresql"):
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_county_codes_are_found_for_counties_typed_before_they_were_checked(
    tmp_path: Path,
) -> None:
    """0016 fills in each organization's county code where its typed county is one of its
    state's, and leaves it empty — "not on the map" — where it is not: never a guessed one."""
    url = "sqlite:///" + str(tmp_path / "before.sqlite3")
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0015_second_factors")
        typed = [("OH", "Pike"), ("OH", "Pine"), ("LA", "Orleans"), ("TX", "St Louis")]
        with db.engine.begin() as conn:
            for number, (state, county) in enumerate(typed):
                conn.execute(
                    sa.text(
                        "INSERT INTO organizations (name, name_key, state, county, ownership,"
                        " size_band, require_second_factor, is_active, created_at) VALUES"
                        " (:n, :n, :s, :c, 'public', 'small', 0, 1, '2026-01-01')"
                    ),
                    {"n": f"Org {number}", "s": state, "c": county},
                )
        upgrade()
        with db.engine.connect() as conn:
            codes = dict(
                conn.execute(sa.text("SELECT county, county_fips FROM organizations")).all()
            )
        db.engine.dispose()
    assert codes == {"Pike": "39131", "Pine": None, "Orleans": "22071", "St Louis": None}
