"""The portal with one extra page that does nothing but sign the user in (for
bench/throughput.py): what any signed-in page costs before it does its own work — the session
cookie, the login query, security headers, an almost empty response. Never part of the app."""

from flask_login import login_required

from portal import create_app

app = create_app()


@app.get("/_bench/signed-in")
@login_required
def signed_in() -> str:
    return "ok"
