"""A request id for every request, and one JSON log line per request.

The id comes from the proxy's ``X-Request-ID`` when the portal is behind one (``PROXY_HOPS``,
and the proxy sets the header itself, as deploy/nginx does) and it is a plain token — so one id
follows a request through nginx, gunicorn and the portal — else a new one: a client talking to
the portal directly does not choose the id stored with its audit rows. It is sent back in the
``X-Request-ID`` header, shown on error pages ("Reference: …") and stored with every audit row,
so a person's report, a log line and an audit row can be put together.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request

log = logging.getLogger("portal.request")
_TOKEN = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object per line: what log collectors read without parsing."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if "request_id" not in entry and (rid := request_id()):
            entry["request_id"] = rid
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines for a person at a terminal, with a request line's fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", {})
        return line + "".join(f" {k}={v}" for k, v in fields.items()) if fields else line


def _user_id() -> int | None:
    """The signed-in user's id if this request loaded one — read from the identity map, so the
    log line costs no query (after the commit the user object is expired; reading ``.id`` would
    fetch it again) and never loads a user the request did not."""
    user = g.get("_login_user")  # Flask-Login's per-request cache
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    state = sa.inspect(user, raiseerr=False)
    identity = state.identity if state is not None else None
    return int(identity[0]) if identity else None


def init_app(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        given = request.headers.get("X-Request-ID", "") if app.config["PROXY_HOPS"] else ""
        g.request_id = given if _TOKEN.fullmatch(given) else secrets.token_hex(8)
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Any) -> Any:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        if started is not None:
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": rid,
                        "method": request.method,
                        # The route, not the URL: no tokens, ids or query strings in the logs.
                        "endpoint": request.endpoint or "",
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user_id": _user_id(),
                    }
                },
            )
        return response
