"""A message as data, rendered once to plain text and once to HTML from the same content.

A message's words are a template: ``templates/mail/words/<kind>.txt`` sets its ``subject``,
``body`` (paragraphs apart by a blank line), ``action``, ``closing`` and ``reason`` (and, for
lists, macros), from the facts the caller gives (:func:`worded`). The layouts
``mail/message.txt`` and ``mail/message.html`` then write the text and HTML of every message —
one wording per message, in a file a translation can reach, never a second copy per format.

Links are absolute and built from ``PORTAL_BASE_URL`` — never from a request's Host header, so
a reset link cannot be pointed at another site by whoever sends the request.

What people typed (an organization's or a person's name) goes into a message through
:func:`typed`: one line, cut short, and with anything that looks like a web address written so
that no mail program turns it into a link — a name cannot carry a phishing link to whoever the
portal writes to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date
from flask import current_app, render_template

from portal import i18n

_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(text: str, limit: int = 150) -> str:
    """Text fit for a header (a subject, a display name): no CR, LF or other control
    characters, so nothing typed into a name can add a header."""
    return " ".join(_HEADER_UNSAFE.sub(" ", text).split())[:limit]


# What a mail program would make a link of: a scheme, "www.", an address, or a dotted name
# ending in a top-level domain ("evil.example", "bit.ly/x").
_LINKISH = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*"
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b\d{1,3}(?:\.\d{1,3}){3}\b(?::\d+)?(?:/\S*)?"
    r"|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}\b(?:/\S*)?"
)


def _defang(match: re.Match[str]) -> str:
    text = match.group(0)
    text = re.sub(
        r"(?i)^([a-z][a-z0-9+.-]*)://",
        lambda m: m.group(1).lower().replace("t", "x") + "[:]//",
        text,
    )
    return text.replace(".", "[.]").replace("@", "[at]")


def typed(text: str, limit: int = 60) -> str:
    """A name someone typed, fit for a message to someone else: one line, at most ``limit``
    characters (cut with "…"), addresses and web addresses defanged ("evil[.]example",
    "hxxps[:]//…") so that no mail program links them."""
    # NFKC first: full-width and ideographic dots ("evil．com", "evil。com") become dots.
    flat = one_line(unicodedata.normalize("NFKC", text).replace("。", "."), 10_000)
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _LINKISH.sub(_defang, flat)


def link(endpoint: str, **values: Any) -> str:
    """The absolute address of a portal page, from PORTAL_BASE_URL (works in requests, the
    command line and the mail worker alike)."""
    adapter = current_app.url_map.bind("portal.invalid", url_scheme="https")
    path = adapter.build(endpoint, values)
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


# Stands for the secret in the link of a stored message (portal/mail/outbox.py makes the secret
# when it sends): "/password/reset/sent-by-mail-only" opens nothing.
SECRET_MARK = "sent-by-mail-only"  # noqa: S105 - a placeholder, the opposite of a secret


@dataclass(frozen=True)
class SecretLink:
    """A link whose secret is made only when its message is sent: ``kind`` names the table
    ("account_token" or "invitation"), ``ref`` the row, ``endpoint`` the page it opens."""

    kind: str
    ref: int
    endpoint: str

    @property
    def stored_url(self) -> str:
        return link(self.endpoint, token=SECRET_MARK)

    @property
    def stored_path(self) -> str:
        adapter = current_app.url_map.bind("portal.invalid", url_scheme="https")
        return adapter.build(self.endpoint, {"token": SECRET_MARK})

    def url(self, secret: str) -> str:
        return link(self.endpoint, token=secret)


def day_in_words(day: date, *, weekday: bool = False) -> str:
    """'December 2' ('2 de diciembre'), or with ``weekday`` 'Wednesday, December 2'
    ('miércoles, 2 de diciembre'): a day in the language of the message, without its year."""
    locale = Locale.parse(i18n.reading_language())
    pattern = locale.datetime_skeletons["MMMMEd" if weekday else "MMMMd"].pattern
    if weekday:
        pattern = re.sub("E+", "EEEE", pattern)  # the weekday's whole name
    return format_date(day, pattern, locale=locale)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _lines(text: Any) -> str:
    """A template's words on one line: the file wraps them, the message does not."""
    return " ".join(str(text).split())


def _paragraphs(text: Any) -> list[str]:
    return [_lines(p) for p in _PARAGRAPH_BREAK.split(str(text).strip()) if p.strip()]


@dataclass(frozen=True)
class Words:
    """A message's words from its template (see the module docstring); ``module`` is the
    template, its macros included."""

    subject: str
    greeting: str
    paragraphs: list[str]
    action_label: str
    closing: list[str]
    reason: str
    module: Any
    language: str = "en"  # the words' language: the message around them is rendered in it

    def items(self, rows: Sequence[Any]) -> list[Item]:
        """A list in the message, one item per row, in the words of the template's ``item``
        (and ``item_detail``) macros."""
        detail = getattr(self.module, "item_detail", None)
        return [
            Item(_lines(self.module.item(row)), None, _lines(detail(row)) if detail else "")
            for row in rows
        ]

    def message(self, kind: str, to: str, **fields: Any) -> Message:
        # Rendered later (by the outbox), in the language these words were written in.
        fields.setdefault("language", self.language)
        return Message(
            kind=kind,
            to=to,
            subject=self.subject,
            greeting=self.greeting,
            paragraphs=list(self.paragraphs),
            action_label=self.action_label,
            closing=list(self.closing),
            reason=self.reason,
            **fields,
        )


def worded(kind: str, **facts: Any) -> Words:
    """The words of message ``kind`` (templates/mail/words/<kind>.txt) for these facts. Facts
    someone typed come in through :func:`typed`: the templates write them as they are."""
    template = current_app.jinja_env.get_template(f"mail/words/{kind}.txt")
    module = template.make_module({"day_in_words": day_in_words, **facts})

    def part(name: str) -> str:
        return str(getattr(module, name, ""))

    if not part("greeting"):  # the usual one
        module_greeting = current_app.jinja_env.get_template("mail/words/_greeting.txt")
        greeting = str(getattr(module_greeting.make_module(facts), "greeting", ""))
    else:
        greeting = part("greeting")
    return Words(
        subject=_lines(part("subject")),
        greeting=_lines(greeting),
        paragraphs=_paragraphs(part("body")),
        action_label=_lines(part("action")),
        closing=_paragraphs(part("closing")),
        reason=_lines(part("reason")),
        module=module,
        language=i18n.reading_language(),
    )


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
    # An optional notice's topic (portal/mail/preferences.py): the outbox does not queue it for
    # a person who switched the topic off. None: a security message, always sent.
    topic: str | None = None
    reply_to: str | None = None  # else the deployment's MAIL_REPLY_TO, else "do not reply"
    secret: SecretLink | None = None  # the action link's secret is made at delivery
    invitation_id: int | None = None  # the invitation it is about (its delivery is shown)
    # The language it is rendered in when rendered outside the recipient's (None: the words
    # around it are already in theirs: portal/i18n.py speaking_to).
    language: str | None = None

    def rendered(self) -> tuple[str, str]:
        """(plain text, HTML)."""
        if self.language is not None:
            with i18n.speaking(self.language):
                return self._rendered()
        return self._rendered()

    def _rendered(self) -> tuple[str, str]:
        context = {
            "m": self,
            "portal_url": current_app.config["PORTAL_BASE_URL"],
            "answered": bool(self.reply_to or current_app.config.get("MAIL_REPLY_TO")),
            "language": i18n.reading_language(),
        }
        return (
            render_template("mail/message.txt", **context),
            render_template("mail/message.html", **context),
        )
