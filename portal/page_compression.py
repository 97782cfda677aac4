"""Pages compressed by the portal itself — except the few that show a one-time secret.

Compressing a page that holds a secret next to text an attacker can choose opens it to BREACH:
the compressed length leaks the secret a character at a time. So the decision is made per
response, where the secret is: a template that shows one (an authenticator key, recovery codes,
an invitation link) calls ``holds_secret()``, and that page goes out uncompressed. nginx cannot
decide this per response (its ``gzip`` takes no variables), which is why the portal compresses
pages and nginx passes them through.

The other pages' secrets do not survive compression analysis: the session cookie is a header, and
each form's CSRF token is signed with the time again in every response. And the session cookie is
SameSite=Lax, so the cross-site requests such an attack is made of arrive signed out.

Only HTML: JSON, CSV and files are downloads, not pages, and PDFs are compressed already.
"""

from __future__ import annotations

import gzip

from flask import Flask, g, request
from werkzeug.wrappers import Response

MIN_SIZE = 1024  # smaller pages gain less than the header costs
LEVEL = 6  # zlib's default: a 54 KB page in about a millisecond


def holds_secret() -> str:
    """Called by a template that shows a one-time secret: its page is sent uncompressed."""
    g.holds_secret = True
    return ""


def init_app(app: Flask) -> None:
    app.add_template_global(holds_secret)

    @app.after_request
    def compress(response: Response) -> Response:
        if (
            response.mimetype != "text/html"
            or response.direct_passthrough
            or response.is_streamed
            or response.status_code < 200
            or response.status_code in (204, 304)
            or "Content-Encoding" in response.headers
            or g.get("holds_secret")
            or request.accept_encodings["gzip"] <= 0
        ):
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
