"""A message as data, rendered once to plain text and once to HTML from the same content.

Links are absolute and built from ``PORTAL_BASE_URL`` — never from a request's Host header, so
a reset link cannot be pointed at another site by whoever sends the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template

_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(text: str, limit: int = 150) -> str:
    """Text fit for a header (a subject, a display name): no CR, LF or other control
    characters, so nothing typed into a name can add a header."""
    return " ".join(_HEADER_UNSAFE.sub(" ", text).split())[:limit]


def link(endpoint: str, **values: Any) -> str:
    """The absolute address of a portal page, from PORTAL_BASE_URL (works in requests, the
    command line and the mail worker alike)."""
    adapter = current_app.url_map.bind("portal.invalid", url_scheme="https")
    path = adapter.build(endpoint, values)
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


@dataclass(frozen=True)
class Item:
    text: str
    url: str | None = None
    detail: str = ""


@dataclass
class Message:
    """What a message says, for one person. ``reason`` says why they receive it; optional
    notices carry ``unsubscribe_url`` (security messages never do)."""

    kind: str
    to: str
    subject: str
    greeting: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    action_label: str = ""
    action_url: str = ""
    closing: list[str] = field(default_factory=list)
    reason: str = ""
    unsubscribe_url: str | None = None
    preferences_url: str | None = None

    def rendered(self) -> tuple[str, str]:
        """(plain text, HTML)."""
        context = {"m": self, "portal_url": current_app.config["PORTAL_BASE_URL"]}
        return (
            render_template("mail/message.txt", **context),
            render_template("mail/message.html", **context),
        )
