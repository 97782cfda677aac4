"""The application factory: config, extensions, blueprints, error pages, security headers."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from flask import Flask, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from portal import (
    cli,
    i18n,
    page_compression,
    questionnaire_versions,
    readonly,
    safe_json,
    static_files,
    templating,
)
from portal.admin.routes import bp as admin_bp
from portal.assessment_views import bp as assess_bp
from portal.auth import factor_routes, sessions
from portal.auth.routes import bp as auth_bp
from portal.config import (
    FROM_CHECKOUT,
    PROJECT_ROOT,
    check_production_config,
    default_sqlite_url,
    from_environment,
)
from portal.devmail import bp as devmail_bp
from portal.extensions import cache, csrf, db, login_manager, mail, migrate
from portal.inventory.routes import bp as inventory_bp
from portal.mail import outbox
from portal.main.routes import bp as main_bp
from portal.ops import health, metrics
from portal.ops import requests as ops_requests
from portal.organizations.routes import bp as organizations_bp
from portal.reports import pdf
from portal.review import program as _program  # noqa: F401 - its views join review's blueprint
from portal.review.exploited import bp as exposure_bp
from portal.review.routes import bp as review_bp
from portal.toolrequests.routes import bp as toolrequests_bp

log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the portal.

    Settings come from the environment (see :mod:`portal.config`); ``config`` overrides them,
    which is how the tests pass their database.
    """
    app = Flask(
        __name__,
        # A checkout keeps its instance folder (SQLite, PDF cache, static build) inside; an
        # installed wheel uses Flask's default beside the environment (<prefix>/var/…).
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH")
        or (str(PROJECT_ROOT / "instance") if FROM_CHECKOUT else None),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.request_class = safe_json.GuardedRequest
    # Every <int:…> in a URL is an id or a step number: one larger than a database integer
    # (2**31 - 1) matches no route (404) instead of reaching the database (PostgreSQL: 500).
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.update(from_environment())
    if config:
        app.config.update(config)
    check_production_config(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", default_sqlite_url(app.instance_path))

    _configure_logging(app)
    # First of all hooks: a request refused by a later one (CSRF, the database down) still gets
    # its id, its log line and its latency.
    ops_requests.init_app(app)
    metrics.init_app(app)
    if app.config["PROXY_HOPS"]:
        # Trust exactly that many proxies for the client address and scheme (throttling, audit
        # log and secure cookies depend on them); never more.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    _configure_database(app)
    readonly.init_app(app)
    questionnaire_versions.init_app(app)
    csrf.init_app(app)
    app.config["MAIL_FILE_PATH"] = app.config.get("MAIL_FILE_PATH") or str(
        Path(app.instance_path) / "sent-mail"
    )
    mail.init_app(app)
    outbox.init_app(app)
    _configure_login(app)
    _register_blueprints(app)
    _register_error_pages(app)
    templating.init_app(app)
    i18n.init_app(app)
    _register_security_headers(app)
    page_compression.init_app(app)
    static_files.init_app(app, SECURITY_HEADERS)

    cli.register(app)
    # Render folders of a server killed mid-render (its render children died with it).
    pdf.sweep_stale_folders()
    return app


class DatabaseIntConverter(IntegerConverter):
    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        handler = logging.StreamHandler()
        json_lines = app.config["LOG_FORMAT"] == "json"
        handler.setFormatter(
            ops_requests.JsonFormatter() if json_lines else ops_requests.TextFormatter()
        )
        logging.basicConfig(level=app.config["LOG_LEVEL"], handlers=[handler])
    # WeasyPrint narrates every render step at INFO; keep its warnings (refused fetches) only.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', and FKs on."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # An in-memory database cannot use WAL; asking is harmless.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _configure_database(app: Flask) -> None:
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # A database host that drops packets must not hold a worker for minutes (psycopg waits
        # for the operating system's TCP timeout by default).
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    if app.config.get("REDIS_URL"):
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
        app.config.setdefault("CACHE_KEY_PREFIX", "portal-cache:")
    else:
        app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 300)
    cache.init_app(app)


def _configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    # Flask-Login flashes it: a plain string in the reader's language, not a lazy one.
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # our server-side sessions do the revocation
    login_manager.user_loader(sessions.load_user_for_token)


def _register_blueprints(app: Flask) -> None:
    # Who must have a second factor and has none reaches no page with data (docs/guide.md: Second
    # factors); the rules of the second step live with the auth blueprint (factor_routes).
    app.before_request(factor_routes.enrolment_gate)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(inventory_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(assess_bp)
    app.register_blueprint(toolrequests_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(exposure_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    if app.config["PORTAL_ENV"] == "development" and app.config["MAIL_BACKEND"] != "smtp":
        # Mail that goes nowhere but to files: the page shows it, to this machine only.
        app.register_blueprint(devmail_bp)


def _register_error_pages(app: Flask) -> None:
    def page(code: int, title: str, message: str) -> tuple[str, int]:
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(error: Exception) -> tuple[str, int]:
        return page(400, _("We could not read that request"), _("Please go back and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return page(
            400,
            _("Your form expired"),
            _(
                "For your security, forms expire when you sign out or stay idle too long. "
                "Go back, reload the page and submit again."
            ),
        )

    @app.errorhandler(403)
    def forbidden(error: Exception) -> tuple[str, int]:
        return page(403, _("You do not have access to this page"), _("Ask your administrator."))

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return page(
            404,
            _("Page not found"),
            _("The page you asked for does not exist, or you do not have access to it."),
        )

    @app.errorhandler(405)
    def method_not_allowed(error: Exception) -> tuple[str, int]:
        return page(405, _("That action is not available here"), _("Please go back and try again."))

    @app.errorhandler(413)
    def too_large(error: Exception) -> tuple[str, int]:
        return page(
            413,
            _("That was too much to send at once"),
            _("Shorten the text or the file and try again."),
        )

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    def database_unavailable(error: Exception) -> tuple[str, int] | tuple[Any, int]:
        """The database is down or restarting: say so (503) instead of a generic error."""
        db.session.rollback()
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            str(error).splitlines()[0][:200],
        )
        message = _(
            "The portal cannot reach its database right now. Everything you saved "
            "before is safe; please try again in a minute."
        )
        if request.is_json or request.path.endswith("/answers"):
            return {"error": "unavailable", "message": message}, 503
        return page(503, _("The portal is briefly unavailable"), message)

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        log.exception("server error on %s %s", request.method, request.path)
        return page(
            500,
            _("Something went wrong on our side"),
            _(
                "The problem has been logged. Nothing you saved before this page was lost; "
                "please try again in a moment."
            ),
        )


# On every response, static files served by WhiteNoise included (portal/static_files.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Any) -> Any:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # Pages, files and JSON made for a signed-in person are never kept by a browser's or a
        # proxy's cache (the back button after sign-out, a shared computer). Static files are
        # the same for everyone.
        if request.endpoint != "static" and session.get("_user_id"):
            response.headers["Cache-Control"] = "private, no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        # A page's language follows the browser's Accept-Language and the language cookie:
        # a shared cache must not hand one reader's language to the next (portal/i18n.py).
        if request.endpoint != "static" and response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response
