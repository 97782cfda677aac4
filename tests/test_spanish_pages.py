"""Every page in Spanish (#35), with no English left in what a person reads.

Every GET route is visited in Spanish (``?lang=es``) as the person who may see it — the pages of
the phone sweep (tests/browser/test_phone_sweep.py, whose list of routes that are not pages is
shared), on the realistic hospital submitted, returned with comments, resubmitted and accepted.
The visible text (script, style and anything marked ``lang`` other than Spanish left out: CISA's
own descriptions of a flaw are English, and say so) is searched for English words that have no
place in a Spanish sentence. Names of products and programs are allowed (ALLOWED); what the
test's people type is written in Spanish.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Answer, InventoryItem, ToolRequestStatus
from tests.factories import World, add_tool_request, submit_for_b
from tests.kev.catalogs import submit_hospital
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

    def as_person(self, email: str | None, visits: list[tuple[str, str]]) -> None:
        client = self.app.test_client()
        if email is not None:
            login(client, email)
        for endpoint, path in visits:
            address = path + ("&" if "?" in path else "?") + "lang=es"
            response = client.get(address)
            assert response.status_code == 200, (endpoint, path, response.status_code)
            assert response.request.path == urlsplit(path).path
            html = response.get_data(as_text=True)
            assert '<html lang="es"' in html, path
            self.visited.add(endpoint)
            for found in english_words(html):
                if found not in self.english[path]:
                    self.english[path].append(found)


def _return_in_spanish(app: Flask, world: World, aid: int) -> str:
    """The phone sweep's return with comments, typed in Spanish (what people type is theirs)."""
    from portal.assessments import lifecycle, revision
    from portal.models import Assessment, User

    question = "core.no_exposed_services"
    with app.test_request_context():
        assessment = db.session.get_one(Assessment, aid)
        coordinator = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert coordinator is not None and operator is not None
        revision.add_comment(
            assessment, coordinator, question, "¿En qué dirección está el escritorio remoto?"
        )
        revision.add_comment(assessment, coordinator, None, "Gracias: dos puntos por revisar.")
        lifecycle.decide(assessment, "return", coordinator)
        revision.add_comment(assessment, operator, question, "Lo cerramos hoy en el firewall.")
        db.session.commit()
    return question


def test_every_page_reads_in_spanish(
    app: Flask, client: FlaskClient, world: World, pdf_cache: object
) -> None:
    from tests.browser.test_phone_sweep import (
        NOT_PAGES,
        _a_matched_cve,
        _resubmit_and_accept,
    )

    aid = submit_hospital(app, client, world)
    b_id = submit_for_b(app, world)
    with app.app_context():
        item = db.session.scalar(
            sa.select(InventoryItem).where(
                InventoryItem.organization_id == world.org_a, InventoryItem.family_key.is_not(None)
            )
        )
        assert item is not None and item.family_key is not None
        item_id, family = item.id, item.family_key
        answer = db.session.scalar(
            sa.select(Answer).where(Answer.assessment_id == aid).order_by(Answer.question_id)
        )
        assert answer is not None
        answer.note = "Boleto 4411: lo revisamos con el proveedor."
        note = "Aprobado; llame al centro de operaciones del estado para fijar la fecha."
        requests = [
            add_tool_request(world.org_a, aid, justification=note),
            add_tool_request(
                world.org_a, aid, status=ToolRequestStatus.APPROVED, decision_reason=note
            ),
            add_tool_request(
                world.org_a, aid, status=ToolRequestStatus.DENIED, decision_reason=note
            ),
        ]
        db.session.commit()
        request_ids = [r.id for r in requests]
        other = add_tool_request(world.org_b, b_id)
        db.session.commit()
        org_b_request = other.id
    cve = _a_matched_cve(client, item_id)
    visits = Visits(app)

    def operator_pages(assessment_id: int) -> list[tuple[str, str]]:
        pages = [
            ("main.home", "/"),
            ("assess.index", "/assessments/"),
            ("assess.results", f"/assessments/{assessment_id}/results"),
            ("organizations.show", "/organization/"),
            ("inventory.index", "/organization/products/"),
            ("inventory.edit", f"/organization/products/{item_id}/edit"),
            ("inventory.settle", f"/organization/products/{item_id}/flaws/{cve}"),
        ]
        return pages + [("toolrequests.show", f"/tool-requests/{r}") for r in request_ids]

    def coordinator_pages(assessment_id: int) -> list[tuple[str, str]]:
        return [
            ("review.index", "/review/"),
            ("review.assessment", f"/review/assessments/{assessment_id}"),
            ("review.assessment", f"/review/assessments/{assessment_id}?show=all"),
            ("review.dashboard", "/review/dashboard"),
            ("review.missed", "/review/missed"),
            ("review.progress", "/review/progress"),
            ("review.grant", "/review/grant"),
            ("review.tool_requests", "/review/tool-requests"),
            ("exposure.index", "/review/exposure/"),
            ("exposure.index", f"/review/exposure/?product={family}"),
            ("exposure.confirm_notify", f"/review/exposure/notify?product={family}"),
        ] + [("toolrequests.show", f"/tool-requests/{r}") for r in request_ids]

    visits.as_person(
        world.operator_a,
        [
            *operator_pages(aid),
            ("toolrequests.new", f"/assessments/{aid}/tool-requests/new"),
            ("auth.account", "/account/"),
            ("auth.change_email", "/account/email"),
            ("auth.change_password", "/account/password"),
            ("auth.notifications", "/account/notifications"),
            ("auth.second_factors", "/account/second-factor"),
            ("auth.add_app", "/account/second-factor/app"),
            ("auth.add_passkey", "/account/second-factor/passkey"),
            ("auth.confirm_identity", "/account/confirm"),
        ],
    )
    visits.as_person(
        world.coordinator_x,
        [
            *coordinator_pages(aid),
            ("review.confirm_return", f"/review/assessments/{aid}/return"),
        ],
    )
    visits.as_person(
        world.coordinator_y, [("toolrequests.show", f"/tool-requests/{org_b_request}")]
    )
    question = _return_in_spanish(app, world, aid)
    visits.as_person(
        world.operator_a,
        [
            *operator_pages(aid),
            ("assess.step", f"/assessments/{aid}/steps/0"),
            ("assess.step", f"/assessments/{aid}/steps/3"),
            ("assess.review", f"/assessments/{aid}/review"),
            ("assess.reply_form", f"/assessments/{aid}/questions/{question}/reply"),
        ],
    )
    visits.as_person(world.coordinator_x, coordinator_pages(aid))
    _resubmit_and_accept(app, world, aid)
    visits.as_person(world.operator_a, operator_pages(aid))
    visits.as_person(world.coordinator_x, coordinator_pages(aid))
    with app.app_context():
        from portal.models import Organization

        first_org = db.session.scalar(sa.select(Organization.id).order_by(Organization.id))
    visits.as_person(
        world.admin,
        [
            ("admin.index", "/admin/"),
            ("admin.audit_log", "/admin/audit"),
            ("admin.catalog", "/admin/catalog"),
            ("admin.new_coordinator", "/admin/coordinators/new"),
            ("admin.new_jurisdiction", "/admin/jurisdictions/new"),
            ("admin.outgoing_mail", "/admin/mail"),
            ("admin.invite_operator", f"/admin/organizations/{first_org}/invite"),
            ("admin.new_organization", "/admin/organizations/new"),
        ],
    )
    visits.as_person(
        None,
        [
            ("auth.login", "/login"),
            ("auth.register", "/register"),
            ("auth.forgot_password", "/password/forgot"),
        ],
    )
    report = [
        f"{path}: " + " | ".join(found[:6]) + (f" (+{len(found) - 6})" if len(found) > 6 else "")
        for path, found in visits.english.items()
        if found
    ]
    assert not report, f"English left on {len(report)} page(s):\n" + "\n".join(report)
    pages = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    # The page after registering is reached only by registering (the journey tests it).
    assert pages - NOT_PAGES - visits.visited - {"auth.registered"} == set()
