"""Pages compressed by the portal itself — only for requests the person made on the portal.

BREACH: when a compressed page holds a secret beside text an attacker can put there (a query
string echoed into a form, a search box), the compressed length leaks the secret a character at
a time to someone who can watch the traffic's size and make the victim's browser ask for the page
thousands of times with different text. A portal page holds more worth stealing than tokens: an
organization's answers, notes and unpatched products. So a page is compressed only when the
browser says the request came from the portal's own pages or from the person (``Sec-Fetch-Site``
``same-origin`` or ``none``: a typed address, a bookmark) — a header no page can set. Requests
another site makes the browser send (``cross-site``, ``same-site``), and clients that do not say
(older browsers, scripts), get the page uncompressed: the attack's requests never see a
compressed length. (The session cookie's SameSite=Lax is no defence here: it goes with top-level
navigations, and a popup can be navigated again and again.)

Beyond that, a page that shows a one-time secret (an authenticator key, recovery codes, an
invitation or choose-password link) is never compressed: its template calls ``holds_secret()``.

nginx cannot make either decision per request and response (its ``gzip`` takes no variables),
which is why the portal compresses pages and the nginx sites say ``gzip off``. Only HTML: JSON,
CSV and files are downloads, and PDFs are compressed already.
"""

from __future__ import annotations

import gzip

from flask import Flask, g, request
from werkzeug.wrappers import Response

MIN_SIZE = 1024  # smaller pages gain less than the header costs
LEVEL = 6  # zlib's default: a 54 KB page in about a millisecond
OWN_REQUESTS = ("same-origin", "none")  # Sec-Fetch-Site of a click on the portal, a bookmark


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
            or request.headers.get("Sec-Fetch-Site") not in OWN_REQUESTS
            or request.accept_encodings["gzip"] <= 0
        ):
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.vary.add("Sec-Fetch-Site")  # no cache hands this copy to another site's request
        return response
