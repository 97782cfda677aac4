"""Every page in Spanish (#35), with no English left in what a person reads.

Every GET route is visited in Spanish (``?lang=es``) as the person who may see it — the walk of
tests/every_page.py that the phone sweep takes too, on the realistic hospital submitted,
returned with comments, resubmitted and accepted.
The visible text (script, style and anything marked ``lang`` other than Spanish left out: CISA's
own descriptions of a flaw are English, and say so) is searched for English words that have no
place in a Spanish sentence. Names of products and programs are allowed (ALLOWED); what the
test's people type is written in Spanish.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.every_page import Pages, Typed, walk
from tests.factories import World
from tests.web import login

# Words that are English and never Spanish (no "a", "no", "me", "plan", "son", "come", "pie";
# no "may": Spanish abbreviates mayo so; no "none": DMARC's setting keeps its name).
ENGLISH = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "with",
        "this",
        "that",
        "these",
        "those",
        "are",
        "for",
        "of",
        "to",
        "is",
        "have",
        "has",
        "had",
        "will",
        "would",
        "from",
        "what",
        "which",
        "who",
        "whom",
        "we",
        "our",
        "can",
        "could",
        "be",
        "been",
        "being",
        "it",
        "its",
        "on",
        "an",
        "or",
        "not",
        "there",
        "their",
        "they",
        "them",
        "was",
        "were",
        "if",
        "when",
        "how",
        "why",
        "all",
        "any",
        "each",
        "more",
        "most",
        "must",
        "might",
        "into",
        "only",
        "about",
        "after",
        "before",
        "by",
        "at",
        "as",
        "up",
        "out",
        "than",
        "then",
        "also",
        "just",
        "yet",
        "both",
        "should",
        "here",
        "where",
        "while",
        "sign",
        "save",
        "next",
        "back",
        "yes",
        "request",
        "requests",
        "assessment",
        "answer",
        "answers",
        "score",
        "organization",
        "page",
        "please",
        "review",
        "submit",
        "submitted",
        "draft",
        "returned",
        "accepted",
        "approved",
        "denied",
        "open",
        "closed",
        "read",
        "see",
        "show",
        "hide",
        "help",
        "add",
        "edit",
        "delete",
        "remove",
        "cancel",
        "continue",
        "change",
        "changes",
        "new",
        "last",
        "first",
        "days",
        "day",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "time",
        "today",
        "now",
    ]
)
# Names that stay in English (translations/glossary.md), and the test's own data.
ALLOWED = (
    # Program and organization names the catalog of services keeps (translations/glossary.md)
    "State and Local Cybersecurity Grant Program",
    "Center for Internet Security",
    "Malicious Domain Blocking and Reporting",
    "Cyber Resilience Review",
    "External Dependencies Management",
    "Phishing Campaign Assessment",
    "Risk and Vulnerability Assessment",
    "Department of Health and Human Services",
    "Conference of State Bank Supervisors",
    "Rural and Municipal Utility Cybersecurity",
    "Secure Our World",
    "Logging Made Easy",
    "Cyber Hygiene",
    "Known Exploited Vulnerabilities",
    "Secure by Design",
    "Requesting Cyber Hygiene Services",
    "Bulk Electric System",
    "Stop Ransomware",
    "StopRansomware",
)


def _names_kept() -> tuple[str, ...]:
    """Proper names the pages show as they are: the product lines matched against CISA's
    catalog (portal/kev/products), and the states and territories."""
    from portal.geography import STATES
    from portal.kev.products import load_curated
    from portal.questionnaire.loader import load_directory
    from portal.questionnaire.translation import in_language
    from tests.factories import QUESTIONNAIRE_DIR

    names = {family.label for family in load_curated()} | set(STATES.values())
    # The services' names and providers the Spanish catalog keeps as their owners write them.
    english = load_directory(QUESTIONNAIRE_DIR)
    spanish = in_language(english, "es")
    for tool in english.tools:
        translated = spanish.tool(tool.id)
        names |= {tool.name} if translated.name == tool.name else set()
        names |= {tool.provider} if translated.provider == tool.provider else set()
        names |= set(re.findall(r"\(([^)]*)\)", tool.provider))  # partners named inside
    return tuple(sorted(names, key=len, reverse=True))  # the longest first


NAMES_KEPT = _names_kept()


def english_words(html: str, language: str = "es") -> list[str]:
    """The English words in the visible text of a page, each with a few words around it
    (the text of elements marked in another language than ``language`` left out)."""
    soup = BeautifulSoup(html, "html.parser")
    # (code: identifiers, such as an audit event's name, not words)
    for hidden in soup.select("script, style, noscript, template, head, code"):
        hidden.decompose()
    for other in soup.select("[lang]"):
        if other.name != "html" and not str(other.get("lang", "")).startswith(language):
            other.decompose()
    text = " ".join(soup.get_text(" ").split())
    text = re.sub(r"⟦[^⟧]*⟧", " ", text)  # the pseudo-locale's translated texts
    text = re.sub(r"\b(?:https?://|www\.)\S+|\S+@\S+", " ", text)  # addresses are not words
    for name in (*ALLOWED, *NAMES_KEPT):
        text = text.replace(name, " ")
    found = []
    words = re.findall(r"[A-Za-zÀ-ÿ']+", text)
    for index, word in enumerate(words):
        if word.lower() in ENGLISH:
            found.append(" ".join(words[max(0, index - 4) : index + 5]))
    return found


class Visits:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.english: dict[str, list[str]] = defaultdict(list)
        self.visited: set[str] = set()

    def as_person(self, email: str | None, visits: Pages, state: str) -> None:
        client = self.app.test_client()
        if email is not None:
            login(client, email)
        for endpoint, path in visits:
            address = path + ("&" if "?" in path else "?") + "lang=es"
            response = client.get(address)
            assert response.status_code == 200, (endpoint, path, state, response.status_code)
            assert response.request.path == urlsplit(path).path
            html = response.get_data(as_text=True)
            assert '<html lang="es"' in html, path
            self.visited.add(endpoint)
            for found in english_words(html):
                if found not in self.english[path]:
                    self.english[path].append(found)


def test_every_page_reads_in_spanish(
    app: Flask, client: FlaskClient, world: World, pdf_cache: object
) -> None:
    visits = Visits(app)
    typed = Typed(
        note="Boleto 4411: lo revisamos con el proveedor.",
        reason="Aprobado; llame al centro de operaciones del estado para fijar la fecha.",
        comment_on_question="¿En qué dirección está el escritorio remoto?",
        comment_on_all="Gracias: dos puntos por revisar.",
        reply="Lo cerramos hoy en el firewall.",
    )
    pages = walk(app, client, world, visits.as_person, typed, program=True)
    report = [
        f"{path}: " + " | ".join(found[:6]) + (f" (+{len(found) - 6})" if len(found) > 6 else "")
        for path, found in visits.english.items()
        if found
    ]
    assert not report, f"English left on {len(report)} page(s):\n" + "\n".join(report)
    assert pages - visits.visited == set(), "pages nobody visited"
