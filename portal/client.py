"""Who is asking: the client's address, as the audit log and the throttles record it."""

from __future__ import annotations

from flask import has_request_context, request


def client_ip() -> str:
    """The client's address ("" outside a request). Behind a reverse proxy, ProxyFix (see
    docs/deploy.md) has made ``remote_addr`` the client's own."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:45]
