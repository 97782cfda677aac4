"""Whether a request came from one of the portal's own pages (``Sec-Fetch-Site`` / ``Origin``).

CSRF tokens protect every state change; this check is for the one place that keeps something
from a post whose token failed (the expired-login store), so another site cannot plant text there.
"""

from __future__ import annotations

from flask import request


def is_same_origin() -> bool:
    """False when the browser says the request came from another site.

    Current browsers send ``Sec-Fetch-Site``, which no page can set: it decides alone (the host
    and port a proxy passes on may differ from what the browser saw). Older ones send only
    ``Origin`` on a POST, compared with this request's own origin. A client that sends neither
    is not a browser on another site's page, so it is not refused here.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    return True
