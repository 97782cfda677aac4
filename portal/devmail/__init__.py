"""Development only: the *Sent mail* page, so that someone running ``make run`` without a mail
server can read the messages the portal sent and follow their links (an invitation, a password
reset) end to end. Registered only when PORTAL_ENV is development; production never has it.

It reads the messages as they were delivered — the file backend's files (``MAIL_FILE_PATH``) —
not the outbox, which keeps no secret: a link's secret exists only in the message sent."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup, escape

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
    return render_template("devmail/sent.html", messages=delivered(50), linked=linked)


@dataclass(frozen=True)
class Delivered:
    subject: str
    to: str
    date: str
    text: str


_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def delivered(limit: int) -> list[Delivered]:
    """The newest ``limit`` messages the file backend wrote, newest first."""
    folder = Path(current_app.config.get("MAIL_FILE_PATH") or "")
    if not folder.is_dir():
        return []
    found: list[Delivered] = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        chunks = [c for c in path.read_bytes().split(_SEPARATOR) if c.strip()]
        for chunk in reversed(chunks):
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            if not isinstance(message, EmailMessage):
                continue
            body = message.get_body(preferencelist=("plain",))
            found.append(
                Delivered(
                    str(message["Subject"] or ""),
                    str(message["To"] or ""),
                    str(message["Date"] or ""),
                    str(body.get_content()) if body is not None else "",
                )
            )
            if len(found) >= limit:
                return found
    return found
