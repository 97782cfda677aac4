"""Operating the portal: health and readiness probes, the request id, one JSON log line per
request, and Prometheus metrics behind a token."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, User
from portal.ops.requests import JsonFormatter
from tests.factories import World
from tests.web import login

UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=1"


def test_probes_answer_without_signing_in(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ready"}


def test_a_database_that_is_down_is_not_ready_but_the_process_is_healthy(tmp_path: Any) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": UNREACHABLE_POSTGRES,
            "PORTAL_INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
        }
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    # The failing checks are named, never explained (no host, port or driver message).
    assert ready.get_json() == {"status": "not ready", "failing": ["database", "migrations"]}


def test_an_unreachable_redis_is_not_ready(app: Flask) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("portal.redis", None)
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["failing"] == ["redis"]
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("portal.redis", None)


def test_migrations_behind_the_code_are_not_ready(app: Flask) -> None:
    with app.app_context():
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0008_mail'"))
        db.session.commit()
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["failing"] == ["migrations"]
    finally:
        with app.app_context():
            db.session.execute(
                sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
            db.session.commit()


def test_one_json_log_line_per_request_with_its_id_also_in_the_audit_row(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="portal.request"):
        response = login(client, world.operator_a)
    request_id = response.headers["X-Request-ID"]
    record = next(
        r for r in caplog.records if r.name == "portal.request" and r.fields["method"] == "POST"
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request" and line["request_id"] == request_id
    assert line["endpoint"] == "auth.login" and line["method"] == "POST"
    assert line["status"] == 302 and line["duration_ms"] > 0
    assert "password" not in json.dumps(line)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None and line["user_id"] == user.id
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.login"))
        assert event is not None and event.request_id == request_id


def test_a_proxys_request_id_is_kept_and_shown_on_error_pages(app: Flask) -> None:
    client = app.test_client()
    # Straight from a client (no proxy configured): its header does not choose the id.
    direct = client.get("/", headers={"X-Request-ID": "chosen-by-client"})
    assert direct.headers["X-Request-ID"] != "chosen-by-client"
    app.config["PROXY_HOPS"] = 1
    try:
        kept = client.get("/no-such-page", headers={"X-Request-ID": "nginx-4f2a9c1b"})
        assert kept.headers["X-Request-ID"] == "nginx-4f2a9c1b"
        assert "Reference: <code>nginx-4f2a9c1b</code>" in kept.get_data(as_text=True)
        for forged in ("<script>x</script>", "a" * 65):
            answer = client.get("/", headers={"X-Request-ID": forged})
            assert answer.headers["X-Request-ID"] != forged
            assert len(answer.headers["X-Request-ID"]) == 16
    finally:
        app.config["PROXY_HOPS"] = 0


def test_a_request_refused_before_any_view_still_has_its_reference(app: Flask) -> None:
    """CSRF refusals ("your form expired") are what people report most: they need the id too."""
    refused = app.test_client().post("/login", data={"email": "a@b.example", "password": "x"})
    assert refused.status_code == 400
    assert f"Reference: <code>{refused.headers['X-Request-ID']}</code>" in refused.get_data(
        as_text=True
    )


def test_metrics_answer_only_to_their_token(app: Flask, world: World) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 404  # no token configured: no metrics
    app.config["METRICS_TOKEN"] = "m" * 32
    try:
        assert client.get("/metrics").status_code == 404
        wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 32})
        assert wrong.status_code == 404
        login(app.test_client(), world.operator_a, "not-the-password")
        scraped = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
        assert scraped.status_code == 200
        text = scraped.get_data(as_text=True)
        assert 'portal_request_seconds_bucket{endpoint="auth.login"' in text
        assert 'portal_login_failures_total{reason="password"}' in text
        assert "portal_outbox_pending 0.0" in text
        assert "portal_pdf_queue_depth" in text
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_plain_log_lines_keep_the_request_fields() -> None:
    from portal.ops.requests import TextFormatter

    record = logging.LogRecord("portal.request", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"request_id": "abc123", "status": 200}
    assert TextFormatter().format(record).endswith("request request_id=abc123 status=200")
