"""Whether a request came from one of the portal's own pages (``Sec-Fetch-Site`` / ``Origin``).

CSRF tokens protect every state change; this check is for the one place that keeps something
from a post whose token failed (the expired-login store), so another site cannot plant text there.
"""

from __future__ import annotations

from flask import request


def is_same_origin() -> bool:
    """False when the browser says the request came from another site.

    Browsers send ``Sec-Fetch-Site`` and (on a POST) ``Origin``; a client that sends neither is
    not a browser on another site's page, so it is not refused here.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    return True
