"""The application factory and configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.config import DEV_SECRET_KEY, ConfigError, from_environment, normalise_database_url
from portal.extensions import db


def test_production_refuses_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is missing"):
        create_app()


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ConfigError, match="development default"):
        create_app()


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="shorter than 32"):
        create_app()


def test_the_refusal_is_one_line_for_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as excinfo:
        create_app()
    assert "\n" not in str(excinfo.value)


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The environment of a production start with a proper secret."""
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))


def test_production_starts_with_a_real_secret(production: None) -> None:
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_hashes_passwords_at_full_cost_and_refuses_the_test_profile(
    production: None,
) -> None:
    """The suite hashes cheaply (PASSWORD_HASH_FOR_TESTS); production must not, and cannot."""
    from argon2 import PasswordHasher, extract_parameters

    from portal.auth import passwords

    app = create_app()
    with app.app_context():
        stored = extract_parameters(passwords.hash_password("a long enough password"))
    defaults = PasswordHasher()  # argon2-cffi's RFC 9106 low-memory profile
    assert (stored.type.name, stored.time_cost, stored.memory_cost, stored.parallelism) == (
        "ID",
        defaults.time_cost,
        defaults.memory_cost,
        defaults.parallelism,
    )
    assert defaults.memory_cost >= 65536 and defaults.time_cost >= 3
    with pytest.raises(ConfigError, match="PASSWORD_HASH_FOR_TESTS"):
        create_app({"PASSWORD_HASH_FOR_TESTS": True})


def test_environment_variables_are_read() -> None:
    config = from_environment(
        {"DATABASE_URL": "postgres://u@h/db", "SESSION_IDLE_MINUTES": "30", "REDIS_URL": ""}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["SESSION_IDLE"].total_seconds() == 1800
    assert config["REDIS_URL"] is None


def test_database_url_normalisation() -> None:
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"


def test_sqlite_is_the_default_with_wal_busy_timeout_and_foreign_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10000
        db.engine.dispose()


def test_security_headers_on_every_response(app: Flask) -> None:
    response = app.test_client().get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_proxy_hops_trust_exactly_the_configured_proxies(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "p" * 40,
            "PROXY_HOPS": 1,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        }
    )
    seen: list[str | None] = []

    @app.get("/whoami")
    def whoami() -> str:
        from flask import request

        seen.append(request.remote_addr)
        return "ok"

    app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen == ["198.51.100.7"]  # one hop trusted: the address our proxy saw


def _example_env(project_root: Path) -> dict[str, str]:
    values = {}
    for line in (project_root / "deploy" / "portal.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value.strip('"')
    return values


def test_production_refuses_every_placeholder_of_the_example_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project_root: Path
) -> None:
    example = _example_env(project_root)
    placeholders = {
        name
        for name, value in example.items()
        if "change-me" in value.lower() or "example.gov" in value
    }
    assert {"SECRET_KEY", "METRICS_TOKEN", "DATABASE_URL", "MAIL_PASSWORD"} <= placeholders
    assert example["PORTAL_OFFICIAL_GOV"] == "false"
    real = {
        "SECRET_KEY": "k" * 64,
        "METRICS_TOKEN": "m" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3",
        "MAIL_PASSWORD": "a real smtp password",
        "PORTAL_BASE_URL": "https://readiness.cyber.state.test",
        "MAIL_SERVER": "smtp.state.test",
        "MAIL_DEFAULT_SENDER": "Readiness Portal <readiness@state.test>",
        "MAIL_REPLY_TO": "help@state.test",
    }
    assert placeholders <= set(real)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    for name, value in (example | real).items():
        if name not in ("PORTAL_INSTANCE_PATH", "REDIS_URL", "PDF_CACHE_DIR"):
            monkeypatch.setenv(name, value)
    create_app()  # every placeholder replaced: it starts
    for name in sorted(placeholders):
        monkeypatch.setenv(name, example[name])
        with pytest.raises(ConfigError) as refused:
            create_app()
        message = str(refused.value)
        assert message.startswith(f"{name} still holds the example file's placeholder")
        assert "\n" not in message
        monkeypatch.setenv(name, real[name])
