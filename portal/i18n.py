"""The portal in more than one language (#35): which language a request is in, and where the
words come from.

Words in templates and code go through gettext (Flask-Babel); the catalogs live in
``translations/<language>/LC_MESSAGES/messages.po`` and are compiled by ``make translations``
(which ``make run`` and ``make test`` call). The questionnaire's own words come from
``questionnaires/<language>/`` (portal/questionnaire/translation.py).

A request's language, first found wins: ``?lang=`` in the address (that page only); the
signed-in person's choice; the choice remembered on this browser (a cookie); the browser's
``Accept-Language``; their organization's language; the first of ``PORTAL_LANGUAGES``.
A code that is not offered, anywhere, is passed over — never an error.
"""

from __future__ import annotations

import gettext
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import flask_babel
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, force_locale, get_locale, lazy_gettext
from flask_login import current_user
from markupsafe import Markup

from portal.config import KNOWN_LANGUAGES, PROJECT_ROOT
from portal.questionnaire import words

DEFAULT_LANGUAGE = "en"
COOKIE = "portal_language"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"

log = logging.getLogger(__name__)


def offered() -> tuple[str, ...]:
    languages: tuple[str, ...] = current_app.config["PORTAL_LANGUAGES"]
    return languages


def offered_code(value: Any) -> str | None:
    """``value`` as an offered language code ("es-PR" -> "es"), or None."""
    if not isinstance(value, str) or not value or len(value) > 35:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in offered() else None


def select_language() -> str:
    """The language of this request (see the module's docstring)."""
    if not has_request_context():
        return offered()[0]
    chosen = g.get("portal_language")
    if chosen is None:
        chosen = _choose()
        g.portal_language = chosen
    return chosen


def _choose() -> str:
    from_address = offered_code(request.args.get("lang"))
    if from_address:
        return from_address
    signed_in = current_user and current_user.is_authenticated
    if signed_in:
        mine = offered_code(current_user.language)
        if mine:
            return mine
    # Chosen on this browser (signed out, or before the account kept a choice).
    remembered = offered_code(request.cookies.get(COOKIE))
    if remembered:
        return remembered
    # The browser's language before the organization's: a Spanish-reading person in an
    # English-speaking organization reads Spanish pages (the organization's language decides
    # its reports and the mail of members who chose none).
    best = request.accept_languages.best_match(offered())
    if best:
        return best
    if signed_in and current_user.organization is not None:
        theirs = offered_code(current_user.organization.language)
        if theirs:
            return theirs
    return offered()[0]


def language_for(user: Any) -> str:
    """The language mail to ``user`` is written in: theirs, else their organization's."""
    for code in (
        getattr(user, "language", None),
        getattr(getattr(user, "organization", None), "language", None),
    ):
        if code in offered():
            return str(code)
    return offered()[0]


@contextmanager
def speaking_to(person: Any) -> Iterator[None]:
    """Words made inside — gettext, dates, the questionnaire — are in ``person``'s language
    (mail: the recipient's choice, not the language of whoever caused the message)."""
    with force_locale(language_for(person)):
        yield


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Words made inside are in ``language`` (offered, else the default)."""
    with force_locale(offered_code(language) or offered()[0]):
        yield


def report_language(asked: Any, organization: Any) -> str:
    """A download's language: the one asked for (``?language=``) when offered, else the
    organization's (an English-reading coordinator can still hand a Spanish plan to a board)."""
    return (
        offered_code(asked) or offered_code(getattr(organization, "language", None)) or offered()[0]
    )


def reading_language() -> str:
    """The language words are being written in now: the request's, or the one forced for a
    message or a document (``speaking``); English outside an app."""
    locale = get_locale() if has_app_context() else None
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def format_day(value: date) -> str:
    """'Dec 2, 2026' in English, '2 dic 2026' in Spanish (Babel's month names)."""
    language = reading_language()
    if language == "en":
        return f"{value:%b} {value.day}, {value.year}"
    return format_date(value, "d MMM y", locale=language)


def format_count(value: int) -> str:
    """'1,200' in English and in US Spanish alike."""
    language = reading_language()
    if language == "en":
        return f"{value:,}"
    # The United States variety: "12,000" (Spain's "12.000" reads as twelve here).
    return format_decimal(
        value, locale=DOCUMENT_LANGUAGE_TAGS.get(language, language).replace("-", "_")
    )


def format_long_day(value: date) -> str:
    """'December 2, 2026'; '2 de diciembre de 2026'."""
    language = reading_language()
    if language == "en":
        return f"{value:%B} {value.day}, {value.year}"
    return format_date(value, "long", locale=language)


# A language as documents tag it for spell-checkers and screen readers (Word, Excel): the
# United States variety of each.
DOCUMENT_LANGUAGE_TAGS = {"en": "en-US", "es": "es-US"}


def document_language() -> str:
    """The tag of the language a document is being written in ("es-US")."""
    language = reading_language()
    return DOCUMENT_LANGUAGE_TAGS.get(language, language)


def safe_return_path(target: str | None) -> str:
    """Where to go back to after choosing a language: a path on this site, never elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read a backslash as a slash ("/\\evil.example" is another site) and drop
    # control characters: refused, as portal/auth/redirects.py refuses them after sign-in.
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return "/"
    # Without ?lang=: it would outrank the choice just made.
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + (f"?{urlencode(query, safe='/')}" if query else "")


# What the page scripts (static/js) write, in the reader's language: handed over in a JSON data
# block of base.html (no script fetches words). %(name)s is filled by the script.
SCRIPT_WORDS = {
    "saving": lazy_gettext("Saving…"),
    "saved_at": lazy_gettext("Saved at %(time)s"),
    "conflict": lazy_gettext("Someone else changed this answer."),
    "signed_out": lazy_gettext("You were signed out."),
    "not_saved": lazy_gettext("This answer could not be saved."),
    "retrying": lazy_gettext("Not saved — retrying in %(seconds)s s"),
    "saving_with_form": lazy_gettext("%(reason)s Saving with the form…"),
    "edit_note": lazy_gettext("Edit note"),
    "add_note": lazy_gettext("Add a note (optional)"),
    "autosave": lazy_gettext("Answers save automatically as you go."),
    "complete": lazy_gettext("complete"),
    "x_of_y": lazy_gettext("%(done)s of %(total)s"),
    "pdf_ready": lazy_gettext("Your PDF is ready. The download is starting."),
    "try_again": lazy_gettext("Try again"),
    "pdf_rendering": lazy_gettext("Your PDF is being made now. This usually takes a few seconds."),
    "pdf_waiting": lazy_gettext("Your PDF is waiting its turn (%(position)s ahead of it)."),
    "pdf_next": lazy_gettext("Your PDF is next in line."),
    "checking_again": lazy_gettext("%(status)s (Checking again…)"),
    "no_passkeys": lazy_gettext(
        "This browser cannot use passkeys or security keys here. Use an authenticator app instead."
    ),
    "passkey_silent": lazy_gettext(
        "Your passkey or security key did not answer (it was cancelled, or it timed out). "
        "Try again."
    ),
    "more_gaps_one": lazy_gettext("- and %(count)s more gap, listed in our remediation plan"),
    "more_gaps_many": lazy_gettext("- and %(count)s more gaps, listed in our remediation plan"),
}


def _css_string(text: str) -> str:
    """``text`` as a CSS string: quotes, backslashes and line ends escaped; ``<`` too, so it
    cannot close the <style> element it is written in."""
    escaped = "".join(f"\\{ord(char):x} " if char in '"\\\n\r<>' else char for char in text)
    return f'"{escaped}"'


class _MissingTranslation(gettext.NullTranslations):
    """Where a catalog has no translation for a text: the English, and one log line per text
    and language (a blank would hide the sentence; a line per request would flood the log)."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.seen: set[str] = set()

    def _missing(self, message: str) -> None:
        if message not in self.seen:
            self.seen.add(message)
            log.warning("no %s translation for %r: shown in English", self.language, message)

    def gettext(self, message: str) -> str:
        self._missing(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._missing(msgid1)
        return msgid1 if n == 1 else msgid2

    def pgettext(self, context: str, message: str) -> str:
        self._missing(f"{context}|{message}")
        return message

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        self._missing(f"{context}|{msgid1}")
        return msgid1 if n == 1 else msgid2


class _Domain(Domain):
    def get_translations(self) -> Any:
        translations = super().get_translations()
        language = str(get_locale() or DEFAULT_LANGUAGE)
        if language != DEFAULT_LANGUAGE and not getattr(translations, "_portal_fallback", False):
            translations.add_fallback(_MissingTranslation(language))
            translations._portal_fallback = True
        return translations


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel = Babel(app, locale_selector=select_language, default_domain="messages")
    babel.domain_instance = _Domain(domain="messages")  # English, logged, where a text has none
    # The domain's words through the same catalogs, unformatted (words.py fills the values).
    words.install(
        lambda message: flask_babel.get_translations().ugettext(message),
        lambda singular, plural, count: flask_babel.get_translations().ungettext(
            singular, plural, count
        ),
        format_day,
        format_long_day,
        format_count,
    )
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_long_day, "day_long")

    @app.template_global()
    def address_in(language: str) -> str:
        """This page's address read in ``language`` (``?lang=``, the rest of the query kept)."""
        args = request.args.copy()
        args["lang"] = language
        return f"{request.path}?{urlencode(list(args.items(multi=True)))}"

    @app.template_global()
    def files_language(organization: Any) -> str | None:
        """The language of the files a page offers when the reader chose one (``?files=``,
        which the download links carry as ``?language=``); None: the organization's, the
        links left as they are."""
        chosen = offered_code(request.args.get("files"))
        return chosen if chosen != getattr(organization, "language", None) else None

    @app.template_global()
    def css_content(message: str, **expressions: str) -> Markup:
        """A CSS ``content`` value of ``message`` in the reader's language, its ``%(name)s``
        placeholders replaced by CSS (``counter(page)``): the PDFs' running headers and
        footers, which CSS writes and gettext cannot format."""
        parts = re.split(r"%\((\w+)\)s", flask_babel.gettext(message))
        out = [
            expressions.get(part, '""') if index % 2 else _css_string(part)
            for index, part in enumerate(parts)
            if index % 2 or part
        ]
        return Markup(" ".join(out))  # noqa: S704 - each text quoted by _css_string

    app.add_template_global(words.N_, "N_")

    @app.template_global()
    def script_words() -> dict[str, str]:
        return {key: str(text) for key, text in SCRIPT_WORDS.items()}

    @app.context_processor
    def languages() -> dict[str, Any]:
        locale = get_locale()
        current = locale.language if locale is not None else select_language()
        return {
            "page_language": current,
            "KNOWN_LANGUAGE_NAMES": KNOWN_LANGUAGES,
            "all_languages": [(code, KNOWN_LANGUAGES.get(code, code)) for code in offered()],
            "other_languages": [
                (code, KNOWN_LANGUAGES.get(code, code)) for code in offered() if code != current
            ],
        }
