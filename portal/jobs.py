"""Redis for the things several app processes must share: the PDF and mail job queues (RQ)
and, through :mod:`portal.auth.throttle`, sign-in throttling. All are used only when
``REDIS_URL`` is set; without it PDFs render inline, mail is sent in process and throttling
counts in the database.

Start a worker next to the app (same code and settings) with::

    rq worker -c portal.rq_settings -w portal.worker.Worker --url "$REDIS_URL" portal-pdf
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue

_KEY = "portal.redis"

# What a Redis that is down or too slow raises: callers fall back (database limits, inline
# renders) instead of failing the request.
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)


def redis() -> Any | None:
    """One client (with its connection pool) per app process, or None without REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get(_KEY)
    if client is None:
        # Short timeouts: when Redis is down the app falls back instead of hanging a worker.
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        current_app.extensions[_KEY] = client
    return client


def queue(name: str) -> Any | None:
    """The RQ queue ``name``, or None without REDIS_URL (the work is then done in process)."""
    connection = redis()
    if connection is None:
        return None
    return Queue(name, connection=connection)


def pdf_queue() -> Any | None:
    """The RQ queue PDFs are rendered on, or None (render inline)."""
    return queue(current_app.config["PDF_QUEUE"])
