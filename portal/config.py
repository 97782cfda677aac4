"""Settings, read from the environment.

Every setting has a safe default for a developer laptop except the secret key, which production
must provide: :func:`check_production_config` refuses to start otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from portal.kev import shipped

# The checkout, or portal/_files in an installed wheel (see portal/kev/shipped.py).
PROJECT_ROOT = shipped.ROOT
FROM_CHECKOUT = shipped.FROM_CHECKOUT
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - a marker, refused in production


class ConfigError(click.ClickException):
    """The configuration cannot run safely; the message is one line for the operator. A Click
    exception, so a `flask …` command that loads the app prints "Error: <the line>" and exits 1
    instead of a traceback (gunicorn logs the same line)."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` form many hosts hand out and use the psycopg 3 driver; refuse,
    in one line, a value that is no database URL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is no number fails here, not at first query
    except (ArgumentError, ValueError):
        raise ConfigError(
            "DATABASE_URL is not a database URL: write postgresql://USER:PASSWORD@HOST:5432/NAME "
            "(or sqlite:////path/to/portal.sqlite3)."
        ) from None
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(
            f"DATABASE_URL names a {parsed.get_backend_name()!r} database; the portal runs on "
            "PostgreSQL (or SQLite for a trial)."
        )
    return url


# Settings that carry a secret may come from a file instead (NAME_FILE=/run/secrets/name): the
# way container platforms hand out secrets, so none is written into an image or a compose file.
SECRET_SETTINGS = (
    "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MFA_SECRET_KEYS", "MAIL_PASSWORD",
    "METRICS_TOKEN",
)  # fmt: skip


def with_secret_files(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with each NAME_FILE of :data:`SECRET_SETTINGS` read into NAME; both set, or a
    file that cannot be read, is one line naming it."""
    merged = dict(environ)
    for name in SECRET_SETTINGS:
        path = environ.get(f"{name}_FILE")
        if path and environ.get(name):
            raise ConfigError(f"{name} and {name}_FILE are both set; keep one.")
        if path:
            try:
                merged[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ConfigError(
                    f"{name}_FILE={path}: cannot read it ({error.strerror})."
                ) from None
    return merged


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables (see docs/configuration.md)."""
    environ = with_secret_files(environ)
    env = environ.get("PORTAL_ENV", "development").strip().lower()
    max_age = timedelta(hours=int(environ.get("SESSION_MAX_HOURS", "12")))
    config: dict[str, Any] = {
        "PORTAL_ENV": env,
        "SECRET_KEY": environ.get("SECRET_KEY", DEV_SECRET_KEY if env != "production" else ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(environ.get("SESSION_COOKIE_SECURE"), env == "production"),
        "SESSION_COOKIE_NAME": "portal_session",
        # The server decides when a login ends (idle and absolute limits, in user_sessions); the
        # cookie outlives it so that a save posted after expiry can still say whose it was.
        # NIST SP 800-63B AAL2: 30 minutes idle, 12 hours in all (docs/guide.md: Logins).
        "SESSION_IDLE": timedelta(minutes=int(environ.get("SESSION_IDLE_MINUTES", "30"))),
        "SESSION_MAX_AGE": max_age,
        "PERMANENT_SESSION_LIFETIME": max(timedelta(days=14), max_age + timedelta(days=1)),
        # The cookie is set when the session changes (sign-in, CSRF token), not re-signed and
        # re-sent with every response: the server-side row already tracks idle time, and the
        # cookie's lifetime runs from sign-in, past SESSION_MAX_AGE.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Answers and notes are small; a whole JSON import stays far below this.
        "MAX_CONTENT_LENGTH": int(environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session; see docs/guide.md
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "QUESTIONNAIRE_DIR": environ.get("QUESTIONNAIRE_DIR", str(PROJECT_ROOT / "questionnaires")),
        "REDIS_URL": environ.get("REDIS_URL") or None,
        # RQ queue name for PDF rendering (used when REDIS_URL is set); workers listen on it.
        "PDF_QUEUE": environ.get("PDF_QUEUE", "portal-pdf"),
        # Prefix of the sign-in throttling keys in Redis (when REDIS_URL is set).
        "THROTTLE_KEY_PREFIX": environ.get("THROTTLE_KEY_PREFIX", "portal-throttle"),
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO"),
        # json: one JSON object per line (request id, user, status, duration), for log
        # collectors — production's default; text: plain lines, for a person at a terminal.
        "LOG_FORMAT": environ.get("LOG_FORMAT", "json" if env == "production" else "text"),
        # /metrics answers only to "Authorization: Bearer <METRICS_TOKEN>"; unset: no metrics.
        "METRICS_TOKEN": environ.get("METRICS_TOKEN", ""),
        "PDF_RENDER_TIMEOUT": float(environ.get("PDF_RENDER_TIMEOUT", "30")),
        "PDF_CACHE_DIR": environ.get("PDF_CACHE_DIR") or None,
        # Where `flask static build` puts the hashed, compressed static files (default: the
        # instance folder's static-build); served by WhiteNoise when built.
        "STATIC_BUILD_DIR": environ.get("STATIC_BUILD_DIR") or None,
        # Render the plan PDF as soon as an assessment is submitted (reports/prerender.py).
        "PDF_PRERENDER": _bool(environ.get("PDF_PRERENDER"), True),
        # Number of reverse proxies in front of the app that set X-Forwarded-For/-Proto; 0 = none.
        "PROXY_HOPS": int(environ.get("PROXY_HOPS", "0")),
        "ALLOW_SELF_REGISTRATION": _bool(environ.get("ALLOW_SELF_REGISTRATION"), True),
        # Every link in a message is built from this, never from a request's Host header.
        "PORTAL_BASE_URL": (environ.get("PORTAL_BASE_URL") or "").rstrip("/")
        or ("" if env == "production" else "http://127.0.0.1:5000"),
        # The official-site banner ("An official website of the United States government") only
        # where the deployment is one (a .gov domain run by a government); else a neutral line.
        "PORTAL_OFFICIAL_GOV": _bool(environ.get("PORTAL_OFFICIAL_GOV")),
        # Clock for people with no state of their own (admins, signed-out pages); operators and
        # coordinators see times in their state's zone.
        "PORTAL_TIME_ZONE": _time_zone(environ.get("PORTAL_TIME_ZONE") or "UTC"),
        # The languages people may choose, the first the default (portal/i18n.py); "en" alone
        # hides the switcher.
        "PORTAL_LANGUAGES": _languages(environ.get("PORTAL_LANGUAGES") or "en,es"),
        # Second factors (portal/auth/second_factor.py). The key(s) that encrypt authenticator
        # apps' secrets: Fernet keys, comma-separated, the first encrypts (rotate by putting a
        # new one first); unset, a key is derived from SECRET_KEY.
        "MFA_SECRET_KEYS": [
            k.strip() for k in environ.get("MFA_SECRET_KEYS", "").split(",") if k.strip()
        ],
        # Roles that must have a second factor before any page with data; an organization's
        # operators can require it of themselves.
        "MFA_REQUIRED_ROLES": tuple(
            r.strip()
            for r in environ.get("MFA_REQUIRED_ROLES", "coordinator,admin").split(",")
            if r.strip()
        ),
        # Days an account of such a role may go without one, from its creation (0: none).
        "MFA_ENROL_GRACE_DAYS": int(environ.get("MFA_ENROL_GRACE_DAYS", "0")),
        **mail_settings(environ, env),
    }
    if environ.get("CACHE_TYPE"):
        # Flask-Caching backend override (default: RedisCache with REDIS_URL, else SimpleCache);
        # NullCache turns cached figures off, e.g. to measure them uncached.
        config["CACHE_TYPE"] = environ["CACHE_TYPE"]
    database_url = environ.get("DATABASE_URL")
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    return config


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"PORTAL_TIME_ZONE={name!r} is not a time zone; use an IANA name such as "
            "America/Chicago."
        ) from None
    return name


# Every language the portal has words for; PORTAL_LANGUAGES chooses which are offered. Each is
# named in its own language: that is how a reader finds theirs (portal/i18n.py).
KNOWN_LANGUAGES = {"en": "English", "es": "Español"}


def _languages(value: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.strip() for code in value.split(",") if code.strip()))
    unknown = [code for code in codes if code not in KNOWN_LANGUAGES]
    if unknown or not codes:
        raise ConfigError(
            f"PORTAL_LANGUAGES={value!r}: the portal speaks {', '.join(KNOWN_LANGUAGES)}; "
            "list them separated by commas, the default first (en,es)."
        )
    return codes


def mail_settings(environ: Any, env: str) -> dict[str, Any]:
    """Flask-Mailman's settings. Without MAIL_SERVER, development writes messages to files
    (and the Sent mail page lists them) and production sends none (MAIL_BACKEND=off)."""
    server = environ.get("MAIL_SERVER") or ""
    default_backend = "smtp" if server else ("off" if env == "production" else "file")
    backend = environ.get("MAIL_BACKEND") or default_backend
    return {
        # Flask-Mailman's backend: smtp, file, console, locmem; "off" (its "dummy") sends none.
        "MAIL_BACKEND": "dummy" if backend == "off" else backend,
        "MAIL_SERVER": server or "localhost",
        "MAIL_PORT": int(environ.get("MAIL_PORT") or "25"),
        "MAIL_USE_TLS": _bool(environ.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(environ.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER")
        or ("" if env == "production" else "Readiness Portal <portal@localhost>"),
        "MAIL_TIMEOUT": float(environ.get("MAIL_TIMEOUT") or "10"),
        # Reply-To of messages nobody in particular sends (a support mailbox people read);
        # unset, those messages say not to reply and where to write instead.
        "MAIL_REPLY_TO": environ.get("MAIL_REPLY_TO") or "",
        "MAIL_FILE_PATH": environ.get("MAIL_FILE_PATH") or None,
        # RQ queue the mail jobs go on (with REDIS_URL); workers listen on it.
        "MAIL_QUEUE": environ.get("MAIL_QUEUE", "portal-mail"),
    }


def mail_enabled(config: Any) -> bool:
    return config.get("MAIL_BACKEND") not in ("dummy", "off", "", None)


# Settings that deploy/portal.env.example fills with placeholders, by the variable people set.
# A value copied from the example unchanged is refused in production (a secret everyone who read
# the repository knows is no secret; an example.gov address sends mail and links nowhere).
PLACEHOLDER_SETTINGS = {
    "SECRET_KEY": "SECRET_KEY",
    "METRICS_TOKEN": "METRICS_TOKEN",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
    "PORTAL_BASE_URL": "PORTAL_BASE_URL",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_DEFAULT_SENDER": "MAIL_DEFAULT_SENDER",
    "MAIL_REPLY_TO": "MAIL_REPLY_TO",
}
# Every placeholder in the example file holds one of these (a test reads the file to hold it so).
_PLACEHOLDER_MARKS = ("change-me", "state.example.gov")


def placeholder_variable(config: dict[str, Any] | Any) -> str | None:
    """The first setting that still holds a placeholder of the example env file, or None."""
    for key, variable in PLACEHOLDER_SETTINGS.items():
        value = str(config.get(key) or "").lower()
        if any(mark in value for mark in _PLACEHOLDER_MARKS):
            return variable
    return None


def check_production_config(config: dict[str, Any] | Any) -> None:
    """Refuse to run production with settings that would make it unsafe."""
    if config.get("PORTAL_ENV") != "production":
        return
    placeholder = placeholder_variable(config)
    if placeholder is not None:
        raise ConfigError(
            f"{placeholder} still holds the example file's placeholder (deploy/portal.env."
            f"example); set {placeholder} to this deployment's own value before starting."
        )
    key = config.get("SECRET_KEY") or ""
    if not key or key == DEV_SECRET_KEY:
        raise ConfigError(
            "SECRET_KEY is missing or is the development default; set SECRET_KEY to a long random"
            " value (python -c 'import secrets; print(secrets.token_hex(32))') before starting in"
            " production."
        )
    if len(key) < 32:
        raise ConfigError("SECRET_KEY is shorter than 32 characters; use a long random value.")
    token = str(config.get("METRICS_TOKEN") or "")
    if token and len(token) < 24:
        raise ConfigError(
            "METRICS_TOKEN is shorter than 24 characters; use a long random value or leave it "
            "unset (no /metrics)."
        )
    if config.get("MAIL_BACKEND") not in ("smtp", "dummy"):
        raise ConfigError(
            f"MAIL_BACKEND={config.get('MAIL_BACKEND')} writes messages (reset links included) "
            "to files or logs; production sends by SMTP (set MAIL_SERVER) or not at all."
        )
    if mail_enabled(config):
        if not config.get("MAIL_DEFAULT_SENDER"):
            raise ConfigError(
                "Mail is on (MAIL_SERVER is set) but MAIL_DEFAULT_SENDER is missing; set it to "
                "the address messages come from, e.g. 'Readiness Portal <portal@state.gov>'."
            )
        base = str(config.get("PORTAL_BASE_URL") or "")
        if not base.startswith("https://"):
            raise ConfigError(
                "Mail is on but PORTAL_BASE_URL is missing or not https; set it to the portal's "
                "public address (https://…): every link in a message is built from it."
            )
    if config.get("PASSWORD_HASH_FOR_TESTS"):
        raise ConfigError("PASSWORD_HASH_FOR_TESTS is for the test suite only; remove it.")
