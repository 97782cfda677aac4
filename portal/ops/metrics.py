"""Prometheus metrics (prometheus_client, the project's own client library).

``/metrics`` answers only with ``Authorization: Bearer <METRICS_TOKEN>`` (404 without a token
configured, 404 for a wrong one: the endpoint does not advertise itself). Under gunicorn set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so every worker's counts are added up.

Measured: request latency by endpoint, login failures, PDF render time; read when scraped: the
outbox backlog (messages waiting) and the PDF queue's depth.
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from portal import jobs
from portal.extensions import db
from portal.models import OutboxMessage, OutboxStatus
from portal.ops.instruments import REQUEST_SECONDS

bp = Blueprint("metrics", __name__)
# Label values come from a closed list: a client inventing methods must not invent series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _Backlog(Collector):
    """Read at scrape time, from the database and Redis (one small query each)."""

    def collect(self) -> Any:
        waiting = GaugeMetricFamily("portal_outbox_pending", "Messages waiting to be sent")
        try:
            count = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
            )
        except Exception:  # the database down: the other metrics still matter most now
            db.session.rollback()
        else:
            waiting.add_metric([], count or 0)
            yield waiting
        queue = jobs.pdf_queue()
        depth = GaugeMetricFamily("portal_pdf_queue_depth", "PDF jobs waiting for a worker")
        try:
            depth.add_metric([], len(queue) if queue is not None else 0)
        except Exception:  # Redis down: the portal falls back to inline PDFs; report nothing
            return
        yield depth


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response: Any) -> Any:
        started = g.get("metrics_started")
        if started is not None and request.endpoint != "metrics.metrics":
            method = request.method if request.method in KNOWN_METHODS else "other"
            REQUEST_SECONDS.labels(request.endpoint or "unknown", method).observe(
                time.perf_counter() - started
            )
        return response


@bp.get("/metrics")
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every gunicorn worker's counts
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    try:
        extra = CollectorRegistry()
        extra.register(_Backlog())
        body += generate_latest(extra)
    finally:
        db.session.rollback()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
