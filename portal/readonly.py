"""Pages that only read the database run without a transaction around them.

Under PostgreSQL's READ COMMITTED every statement takes its own snapshot, so wrapping a page's
reads in BEGIN … ROLLBACK changes nothing they see; it costs two extra round trips per page
(bench/RESULTS.md: the signed-in floor page went from 0.150 to 0.180 of a bare app without
them). Django runs every request this way by default; we opt in per view instead, so that a
view that writes keeps its one transaction per request.

A view marked :func:`read_only` may still write once on an unusual path (the access check
records a denial and commits); in autocommit that single INSERT is its own transaction, and
anything after a commit runs in an ordinary transaction again. Do not mark:
- a view that writes, locks (``FOR UPDATE``) or streams rows (a server-side cursor needs a
  transaction on PostgreSQL; SQLite would not show it);
- a page anonymous visitors or health checks reach without needing the database (the welcome
  page): marking takes a pooled connection before the view runs.
This relies on READ COMMITTED, PostgreSQL's default; a server set to REPEATABLE READ would lose
the page-wide snapshot a transaction gave these pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, request

from portal.extensions import db

View = TypeVar("View", bound=Callable[..., object])

_READ_METHODS = frozenset({"GET", "HEAD"})


def read_only(view: View) -> View:
    """Mark a view whose GET only reads: it runs in autocommit, without BEGIN/ROLLBACK."""
    view.portal_read_only = True  # type: ignore[attr-defined]
    return view


def init_app(app: Flask) -> None:
    @app.before_request
    def reads_without_a_transaction() -> None:
        if request.method not in _READ_METHODS or request.endpoint is None:
            return
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "portal_read_only", False):
            # Before anything else touches the session (the login check comes later, in the
            # view's decorators): the connection this request uses is checked out in autocommit.
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
