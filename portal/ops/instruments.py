"""The portal's Prometheus instruments, defined once and observed where the work happens (the
login view, the PDF renderer, every request); exposed by portal/ops/metrics.py."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_SECONDS = Histogram(
    "portal_request_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
)
LOGIN_FAILURES = Counter(
    "portal_login_failures", "Sign-ins refused: a wrong password, or throttled", ["reason"]
)
PDF_RENDER_SECONDS = Histogram(
    "portal_pdf_render_seconds",
    "Time to render a PDF (in its bounded child process)",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60),
)
