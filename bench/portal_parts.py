"""The portal plus pages that each do only one part of a wizard page's work, for
bench/throughput.py: what each part costs on its own. Never part of the app.

- ``/_bench/signed-in``: signs the user in and answers "ok" — the session cookie, the login
  query, security headers: the floor under any signed-in page of the portal;
- ``/_bench/one-query``: one primary-key read on a per-process psycopg connection in autocommit,
  without the ORM or Flask-Login — the cheapest database read any signed-in page could do;
- ``/_bench/one-write``: the same, but one single-row UPDATE committed (autocommit) — the
  cheapest durable write an autosave could do;
- ``/_bench/read-and-write``: one such read, then one such write — the least an autosave must do
  (check the login, store the answer), with nothing else around it;
- ``/_bench/render-only/<id>``: the wizard's first step rendered by Jinja from a context captured
  once per process from the real view — the templates alone: no database, no login check.
"""

import os
from typing import Any

import psycopg
from flask import current_app, g, render_template
from flask_login import current_user, login_required

import portal.assessment_views.wizard as assess_routes
from portal import create_app
from portal.extensions import csrf
from portal.readonly import read_only

app = create_app()
_connection: list[psycopg.Connection[Any]] = []
_captured: dict[int, tuple[Any, dict[str, Any]]] = {}


@app.get("/_bench/signed-in")
@read_only  # like every page that only reads
@login_required
def signed_in() -> str:
    return "ok"


def _raw_connection() -> psycopg.Connection[Any]:
    if not _connection:
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        _connection.append(psycopg.connect(url.replace("+psycopg", ""), autocommit=True))
    return _connection[0]


@app.get("/_bench/one-query")
def one_query() -> str:
    row = _raw_connection().execute("SELECT id FROM users WHERE id = %s", (1,)).fetchone()
    return "ok" if row else "missing"


@app.post("/_bench/one-write")
@csrf.exempt
def one_write() -> str:
    _write()
    return "ok"


@app.post("/_bench/read-and-write")
@csrf.exempt
def read_and_write() -> str:
    row = _raw_connection().execute("SELECT id FROM users WHERE id = %s", (1,)).fetchone()
    _write()
    return "ok" if row else "missing"


def _write() -> None:
    # A row per process, so that workers do not wait on each other's row locks.
    _raw_connection().execute(
        "UPDATE users SET last_login_at = now() WHERE id = %s", (os.getpid() % 16 + 1,)
    )


@app.get("/_bench/render-only/<int:assessment_id>")
def render_only(assessment_id: int) -> str:
    if assessment_id not in _captured:
        return _capture(assessment_id)
    user, context = _captured[assessment_id]
    g._login_user = user  # what Flask-Login's user loader would have put there
    return render_template("assess/step.html", **context)


@login_required
def _capture(assessment_id: int) -> str:
    """Run the real wizard view once, keeping the arguments it renders the page with."""
    real = assess_routes.render_template

    def capture(name: str, **context: Any) -> str:
        _captured[assessment_id] = (current_user._get_current_object(), context)
        return real(name, **context)

    assess_routes.render_template = capture  # type: ignore[assignment]
    try:
        body, _ = assess_routes.step(assessment_id, 0)  # type: ignore[misc]
    finally:
        assess_routes.render_template = real
    return str(body)
