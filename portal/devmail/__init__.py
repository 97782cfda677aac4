"""Development only: the *Sent mail* page, so that someone running ``make run`` without a mail
server can read the messages the portal sent and follow their links (an invitation, a password
reset) end to end. Registered only when PORTAL_ENV is development; production never has it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from markupsafe import Markup, escape

from portal.extensions import db
from portal.models import OutboxMessage
from portal.readonly import read_only

bp = Blueprint("devmail", __name__, url_prefix="/dev")
_URL = re.compile(r"https?://[^\s<>\"']+")


def linked(text: str) -> Markup:
    """The plain-text body, escaped, with its addresses made into links."""
    escaped = str(escape(text))  # the URL pattern stops at quotes and angle brackets
    linked_text = _URL.sub(
        lambda m: f'<a class="usa-link" href="{m.group(0)}">{m.group(0)}</a>', escaped
    )
    return Markup(linked_text)  # noqa: S704 - built from escaped text only


@bp.get("/mail")
@read_only
def sent_mail() -> str:
    if request.remote_addr not in ("127.0.0.1", "::1"):
        abort(404)  # development only, and only from the machine it runs on
    messages = db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    return render_template("devmail/sent.html", messages=messages, linked=linked)
