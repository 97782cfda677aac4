"""Unknown pages and server errors get styled pages, never a stack trace."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from portal import create_app
from tests.factories import TEST_SECRET


def test_unknown_route_gets_styled_404(app: Flask) -> None:
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "usa-identifier" in html


def test_server_error_is_logged_and_styled(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PROPAGATE_EXCEPTIONS": False,
        }
    )

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internal detail" not in html and "Traceback" not in html
    assert "secret internal detail" in caplog.text


def test_database_outage_answers_503_with_a_clear_message(tmp_path: object) -> None:
    import sqlalchemy.exc

    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PROPAGATE_EXCEPTIONS": False,
        }
    )

    def down() -> str:
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    app.add_url_rule("/down", "down", down)
    app.add_url_rule("/assessments/1/answers", "down_json", down, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    page = app.test_client().get("/down")
    assert page.status_code == 503
    assert "cannot reach its database right now" in page.get_data(as_text=True)
    assert "connection refused" not in page.get_data(as_text=True)
    api = app.test_client().post("/assessments/1/answers", json={})
    assert api.status_code == 503
    assert api.get_json()["error"] == "unavailable"
