"""Shared fixtures.

The schema is built once per run by the Alembic migrations (so every test also proves they work),
on SQLite by default or on PostgreSQL when TEST_DATABASE_URL is set. Each test starts with empty
tables. CSRF protection stays on: helpers read the token from the page like a browser would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.auth import service
from portal.extensions import db
from portal.models import Base, Invitation, Jurisdiction, Role, ToolRequest, ToolRequestItem, User

PASSWORD = "correct horse battery staple"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from portal.config import normalise_database_url

        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    url = database_url(tmp_path_factory)
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            # argon2id at a test cost (production's is checked in tests/test_factory.py)
            "PASSWORD_HASH_FOR_TESTS": True,
        }
    )
    with application.app_context():
        with db.engine.begin() as conn:
            # A previous interrupted run may have left tables behind on PostgreSQL.
            Base.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


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
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        assert meta, "no CSRF token on the page"
        return meta.group(1)
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any
) -> Any:
    """GET the page (``page`` or ``url``), take its CSRF token, then POST ``data`` to ``url``."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)}, **kwargs)


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return post_form(client, "/login", {"email": email, "password": password}, **kwargs)


def logout(client: FlaskClient) -> Any:
    html = client.get("/").get_data(as_text=True)
    return client.post("/logout", data={"csrf_token": csrf_token(html)})


REGISTRATION = {
    "organization_name": "Pine County Memorial Hospital",
    "sectors": ["hospital"],
    "ownership": "public",
    "size_band": "small",
    "state": "OH",
    "county": "Pine",
    "full_name": "Pat Operator",
    "email": "pat@pine-hospital.example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


class World:
    """A small, named set of tenants for access tests: two orgs, two jurisdictions, an admin."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            ohio = Jurisdiction(name="Ohio", state="OH")
            lake = Jurisdiction(name="Lake County, Indiana", state="IN")
            lake.counties = ["Lake"]
            db.session.add_all([ohio, lake])
            db.session.flush()
            self.operator_a = self._operator(
                "Alpha Hospital SENTINEL-A", "hospital", "OH", "Pine", "a@alpha.example.org"
            )
            self.operator_b = self._operator(
                "Bravo Water SENTINEL-B", "water", "IN", "Lake", "b@bravo.example.org"
            )
            self.coordinator_x = service.create_staff_user(
                Role.COORDINATOR, "Xena Coord", "x@state-oh.example.org", PASSWORD, [ohio]
            ).email
            self.coordinator_y = service.create_staff_user(
                Role.COORDINATOR, "Yuri Coord", "y@lake-in.example.org", PASSWORD, [lake]
            ).email
            self.admin = service.create_staff_user(
                Role.ADMIN, "Ada Admin", "admin@portal.example.org", PASSWORD
            ).email
            db.session.commit()
            self.org_a = self._org_id("a@alpha.example.org")
            self.org_b = self._org_id("b@bravo.example.org")

    @staticmethod
    def _operator(name: str, sector: str, state: str, county: str, email: str) -> str:
        user = service.register_organization(
            service.NewOrganization(name, [sector], "public", "small", state, county),
            "Op " + name.split()[0],
            email,
            PASSWORD,
        )
        return user.email

    @staticmethod
    def _org_id(email: str) -> int:
        org_id = db.session.scalar(sa.select(User.organization_id).where(User.email == email))
        assert org_id is not None
        return org_id


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
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "THROTTLE_KEY_PREFIX", "PDF_QUEUE")}
    app.config.update(REDIS_URL=url, THROTTLE_KEY_PREFIX=prefix, PDF_QUEUE=prefix)
    for key in ("portal.redis",):
        app.extensions.pop(key, None)
    client = Redis.from_url(url)
    try:
        yield client
    finally:
        app.config.update(saved)
        for key in ("portal.redis",):
            app.extensions.pop(key, None)
        for pattern in (f"*{prefix}*", "rq:job:pdf-*"):
            for key in client.scan_iter(pattern):
                client.delete(key)
        client.close()


def watch_statements(app: Flask, listener: Callable[..., None], send: Callable[[], Any]) -> Any:
    """``send()``, with ``listener`` called before each SQL statement it executes."""
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        return send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def count_queries(app: Flask, send: Callable[[], Any]) -> tuple[int, Any]:
    """How many SQL statements ``send()`` executes, and what it returned."""
    count = 0

    def counter(*args: object) -> None:
        nonlocal count
        count += 1

    response = watch_statements(app, counter, send)
    return count, response


def add_tool_request(
    organization_id: int, assessment_id: int, justification: str = "Need scanning", **fields: Any
) -> ToolRequest:
    """A submitted request for one tool (CISA vulnerability scanning), added to the session of
    the current app context; the caller commits."""
    row = ToolRequest(
        organization_id=organization_id,
        assessment_id=assessment_id,
        contact_name="Pat",
        contact_email="pat@alpha.example.org",
        justification=justification,
        **fields,
    )
    row.items = [ToolRequestItem(tool_id="cisa_vuln_scanning")]
    db.session.add(row)
    return row


@pytest.fixture
def objects(app: Flask, world: World) -> dict[str, Any]:
    """One of each object the access tests try: A's submitted assessment, a tool request, an
    invitation (and its token), a draft of A's, and ids of A's organization and coordinator Y."""
    from tests.reports.conftest import submit_assessment

    submitted = submit_assessment(app, world)
    with app.app_context():
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert operator is not None
        request_row = add_tool_request(
            world.org_a, submitted, justification="x", created_by_id=operator.id
        )
        from portal.auth import service as accounts
        from portal.models import Organization

        organization = db.session.get(Organization, world.org_a)
        assert organization is not None
        token = accounts.create_invitation(organization, "new@alpha.example.org", operator)
        db.session.commit()
        invitation_id = db.session.scalar(sa.select(Invitation.id))
        ids: dict[str, Any] = {
            "submitted": submitted,
            "request": request_row.id,
            "invitation": invitation_id,
            "invitation_token": token,
            "org_a": world.org_a,
            "coordinator_y_id": db.session.scalar(
                sa.select(User.id).where(User.email == world.coordinator_y)
            ),
        }
    client = app.test_client()
    login(client, world.operator_a)
    html = client.get("/assessments/").get_data(as_text=True)
    client.post("/assessments/start", data={"csrf_token": csrf_token(html)})
    with app.app_context():
        from portal.models import Assessment

        ids["draft"] = db.session.scalar(sa.select(sa.func.max(Assessment.id)))
    return ids
