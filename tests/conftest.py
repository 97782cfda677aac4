"""Shared fixtures.

The schema is built once per run by the Alembic migrations (so every test also proves they work),
on SQLite by default or on PostgreSQL when TEST_DATABASE_URL is set. Each test starts with empty
tables. CSRF protection stays on: helpers read the token from the page like a browser would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db
from portal.mail.outbox import wait_for_deliveries
from portal.models import Base
from tests.factories import TEST_SECRET, World, access_objects
from tests.smtp import SmtpServer


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translation catalogs as `make catalogs` does, so that `pytest` alone tests
    the Spanish pages too (once, in the controller: workers start after it)."""
    if hasattr(config, "workerinput"):
        return
    from babel.messages.frontend import CommandLineInterface

    from portal.i18n import TRANSLATIONS_DIR

    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(TRANSLATIONS_DIR)])


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from portal.config import normalise_database_url

        url = normalise_database_url(url)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _database_of_worker(url, worker) if worker else url
    # (Each pytest-xdist worker has its own temporary folder, so its own SQLite file.)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _database_of_worker(url: str, worker: str) -> str:
    """With pytest-xdist (``make test`` runs one worker per core), each worker gets a database
    of its own on the same PostgreSQL server, made afresh: "<name>_gw0", "<name>_gw1"."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database_of_worker(url: str) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return
    own = sa.engine.make_url(url)
    assert own.database is not None and own.database.endswith(f"_{worker}")
    base = own.set(database=own.database.removesuffix(f"_{worker}"))
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    url = database_url(tmp_path_factory)
    # An instance folder per run and per pytest-xdist worker (PDF cache, static build, sent
    # mail): never the checkout's instance/, never another worker's.
    saved_instance = os.environ.get("PORTAL_INSTANCE_PATH")
    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            # argon2id at a test cost (production's is checked in tests/test_factory.py)
            "PASSWORD_HASH_FOR_TESTS": True,
            # Mail off, as on a portal without MAIL_SERVER (links shown on screen); the mail
            # tests turn it on against a real SMTP server (the ``mail_server`` fixture).
            "MAIL_BACKEND": "dummy",
            "PORTAL_BASE_URL": "http://localhost",  # the test client's own address
            # Off, so that no render outlives its test; tests/reports/test_prerender.py turns
            # it on and waits for it.
            "PDF_PRERENDER": False,
            # The same-time answers of reset and registration: the tests of that timing set
            # their floor themselves; every other test need not wait for it.
            "RESET_ANSWER_SECONDS": 0.0,
            "REGISTER_ANSWER_SECONDS": 0.0,
            # Coordinators and admins must have a second factor (production's rule), but the
            # test world's accounts are in their grace period: tests/test_second_factor.py
            # sets it to 0 (production's default) and tests the rule itself.
            "MFA_ENROL_GRACE_DAYS": 3650,
            # Both languages offered, as a Spanish-speaking state's deployment would (#35).
            "PORTAL_LANGUAGES": ("en", "es"),
        }
    )
    if saved_instance is None:
        del os.environ["PORTAL_INSTANCE_PATH"]
    else:
        os.environ["PORTAL_INSTANCE_PATH"] = saved_instance
    with application.app_context():
        with db.engine.begin() as conn:
            # A previous interrupted run may have left tables behind on PostgreSQL.
            Base.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()
    _drop_database_of_worker(url)


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        from portal.extensions import cache

        cache.clear()  # cached figures must not outlive the rows they came from
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def pdf_cache(app: Flask, tmp_path: Path) -> Iterator[None]:
    """PDFs cached in this test's own folder (the worker's own folder again after it)."""
    saved = app.config.get("PDF_CACHE_DIR")
    app.config["PDF_CACHE_DIR"] = str(tmp_path / "pdf-cache")
    yield
    app.config["PDF_CACHE_DIR"] = saved


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def with_redis(app: Flask) -> Iterator[Any]:
    """Turn on the Redis-backed features (PDF queue, throttling) against the real local Redis.

    Keys and the queue get a name of their own, removed afterwards, so runs never see each other.
    """
    from redis import Redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"portal-test-{os.getpid()}-{os.urandom(4).hex()}"
    saved = {
        k: app.config.get(k)
        for k in ("REDIS_URL", "THROTTLE_KEY_PREFIX", "PDF_QUEUE", "MAIL_QUEUE")
    }
    app.config.update(
        REDIS_URL=url, THROTTLE_KEY_PREFIX=prefix, PDF_QUEUE=prefix, MAIL_QUEUE=f"{prefix}-mail"
    )
    for key in ("portal.redis",):
        app.extensions.pop(key, None)
    client = Redis.from_url(url)
    try:
        yield client
    finally:
        app.config.update(saved)
        for key in ("portal.redis",):
            app.extensions.pop(key, None)
        # Only this run's keys: its queues, jobs (named after the queue) and throttle counts.
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


@pytest.fixture
def objects(app: Flask, world: World) -> dict[str, Any]:
    """One of each object the access tests try: A's submitted assessment, a tool request, an
    invitation (and its token), a draft of A's, and ids of A's organization and coordinator Y."""
    return access_objects(app, world)


@pytest.fixture
def mail_server(app: Flask) -> Iterator[SmtpServer]:
    """Mail on, sent over SMTP to a real server on loopback; off again afterwards."""
    from portal.extensions import mail

    server = SmtpServer()
    saved = {k: app.config.get(k) for k in MAIL_KEYS}
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_DEFAULT_SENDER="Readiness Portal <portal@state.example.gov>",
        MAIL_TIMEOUT=5.0,
    )
    mail.init_app(app)
    try:
        yield server
    finally:
        # A delivery a response started may still be talking to the server: let it finish
        # before the server goes, or it is cut off mid-conversation.
        wait_for_deliveries()
        server.stop()
        app.config.update(saved)
        mail.init_app(app)


MAIL_KEYS = (
    "MAIL_BACKEND",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
    "MAIL_TIMEOUT",
)


# The longest tests first: under pytest-xdist a 45-second browser journey picked up last keeps
# one core busy after the other has finished. (Order within each group is unchanged.)
_LONG_FIRST = (
    "tests/browser/",
    "tests/test_hostile_property.py",
    "tests/test_readme_commands.py",
    "tests/reports/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid
        return next((i for i, prefix in enumerate(_LONG_FIRST) if path.startswith(prefix)), 99)

    items.sort(key=rank)
