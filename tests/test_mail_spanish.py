"""Mail in the recipient's language (#35), not in the language of whoever caused it: an English
coordinator returns a Spanish-reading operator's assessment — the operator's message is Spanish
(subject, text and HTML, the question read again in Spanish), the coordinator's own mail stays
English; a person who chose nothing gets their organization's language."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Organization, User
from tests.factories import PASSWORD, World, submit_assessment
from tests.smtp import SmtpServer
from tests.test_mail_workflow import close
from tests.test_spanish_pages import english_words
from tests.web import login, post_form


def _set_language(app: Flask, email: str, language: str | None) -> None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        user.language = language
        db.session.commit()


def test_each_recipient_reads_mail_in_their_own_language(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    _set_language(app, world.operator_a, "es")
    assessment_id = submit_assessment(app, world)
    (to_coordinator,) = mail_server.wait_for(1)
    assert to_coordinator.envelope_to == [world.coordinator_x]
    assert to_coordinator.message["Subject"].endswith("submitted its cyber readiness assessment")
    assert '<html lang="en"' in to_coordinator.html
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = f"/review/assessments/{assessment_id}"
    post_form(
        coordinator,
        f"{page}/comments",
        {"question_id": "core.security_lead", "body": "Nombre a la persona y a su suplente."},
        page=page,
    )
    close(post_form(coordinator, f"{page}/return", {"message": "Vea mi nota."}, page=page))
    (message,) = mail_server.wait_for(2)[1:]
    assert message.envelope_to == [world.operator_a]
    assert message.message["Subject"] == "Su evaluación fue devuelta para revisión"
    assert '<html lang="es"' in message.html
    assert "Hola" in message.text
    # The commented question, read again in Spanish for this reader.
    with app.app_context():
        from portal import questionnaire_versions

        question = questionnaire_versions.current("es").question("core.security_lead").text
    assert " ".join(question.split()[:6]) in " ".join(message.text.split())
    assert english_words(message.html) == []
    assert english_words(f"<p>{message.text}</p>") == []


def test_a_member_who_chose_nothing_gets_the_organization_s_language(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    with app.app_context():
        db.session.get_one(Organization, world.org_a).language = "es"
        db.session.commit()
    operator = app.test_client()
    login(operator, world.operator_a)
    close(
        post_form(
            operator,
            "/account/password",
            {
                "current": PASSWORD,
                "password": "a brand new passphrase for this test",
                "confirm": "a brand new passphrase for this test",
            },
            page="/account/password",
        )
    )
    (message,) = mail_server.wait_for(1)
    assert message.envelope_to == [world.operator_a]
    assert english_words(message.html) == [], message.text


def test_a_message_caused_by_a_spanish_reader_goes_to_an_english_one_wholly_in_english(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    """The operator submits reading Spanish; the coordinator, who chose nothing in an English
    deployment, reads every part in English — the words and the wrapper around them."""
    from portal.mail import notices, outbox
    from portal.models import Assessment

    assessment_id = submit_assessment(app, world)
    mail_server.wait_for(1)
    with app.test_request_context("/?lang=es"):
        notices.assessment_submitted(db.session.get_one(Assessment, assessment_id))
        db.session.commit()
    outbox.wait_for_deliveries()
    message = mail_server.wait_for(2)[1]
    assert message.envelope_to == [world.coordinator_x]
    assert '<html lang="en"' in message.html
    assert "Hola" not in message.text and "Dejar de recibir" not in message.text


# Facts every message kind may ask for (templates/mail/words/*.txt), in Spanish or neutral.
FACTS: dict[str, object] = {
    "name": "Ana Rivera",
    "organization": "Acueducto de Lares",
    "county": "Lares",
    "state": "PR",
    "coordinator": "Luis Ortiz",
    "inviter": "Luis Ortiz",
    "inviter_email": "luis@lares.example.org",
    "by_admin": False,
    "email": "ana@lares.example.org",
    "new_email": "ana.rivera@lares.example.org",
    "when": "6 dic 2026, 14:10 AST",
    "score": 64,
    "critical_gaps": 2,
    "comments": 2,
    "count": 3,
    "tools": "CISA Cyber Hygiene Vulnerability Scanning",
    "status": "approved",
    "decision_reason": "Presupuesto del estado agotado.",
    "jurisdictions": "Puerto Rico",
    "set_password": True,
    "window": 30,
    "actions": [1, 2],
    "submitted": "6 dic 2025",
    "error": "550 5.1.1 usuario desconocido",
    "require": True,
    "added": True,
    "new_entries": True,
    "shown": 5,
    "days": 14,
    "left": 7,
    "refused": 3,
    "returned": False,
}


def test_every_message_kind_reads_in_spanish(app: Flask) -> None:
    """Every kind of message the portal sends, its words and the message around them, written
    in Spanish: no English word left (program names aside)."""
    from datetime import date
    from pathlib import Path

    from portal import i18n
    from portal.mail.compose import worded

    kinds = sorted(
        path.stem
        for path in Path(app.root_path, "..", "templates", "mail", "words").resolve().glob("*.txt")
        if not path.stem.startswith("_")
    )
    assert len(kinds) >= 25
    left: dict[str, list[str]] = {}
    with app.test_request_context("/"), i18n.speaking("es"):
        for kind in kinds:
            for status in ("approved", "denied", "fulfilled") if "tool_request" in kind else ("",):
                words = worded(kind, **{**FACTS, "status": status, "due": date(2027, 1, 5)})
                message = words.message(kind, "ana@lares.example.org", action_url="http://x/")
                text, html = message.rendered()
                assert words.subject and words.paragraphs, kind
                found = english_words(html) + english_words(f"<p>{text}</p>")
                if found:
                    left[f"{kind} {status}".strip()] = found[:4]
    assert not left, left
    with app.test_request_context("/"), i18n.speaking("en"):  # the check can fail
        words = worded("assessment_accepted", **FACTS)
        assert english_words(words.message("x", "a@b.example").rendered()[1])
