"""Regression tests for defects found in review: each failed before its fix."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import PendingSave, UserSession
from tests.factories import World
from tests.web import Page, Wizard, autosave, csrf_token, field, login, start


def pending_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(PendingSave.id))) or 0


def test_a_cookieless_cross_site_post_keeps_nothing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    stranger = app.test_client()  # no cookie at all, as a cross-site form post would be
    response = stranger.post(
        f"/assessments/{assessment_id}/steps/0",
        data={
            field("a", "core.runs_ot"): "no",
            field("n", "core.runs_ot"): "ATTACKER NOTE",
            field("r", "core.runs_ot"): "0",
        },
    )
    assert response.status_code == 302
    assert "restore" not in response.headers["Location"]
    assert pending_count(app) == 0


def test_another_tenant_cannot_stash_into_an_assessment(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    intruder = app.test_client()
    login(intruder, world.operator_b)
    response = intruder.post(
        f"/assessments/{assessment_id}/steps/0",
        data={
            "csrf_token": "bogus",
            field("a", "core.runs_ot"): "no",
            field("r", "core.runs_ot"): "0",
        },
    )
    assert response.status_code == 404
    assert pending_count(app) == 0


def test_a_restore_token_only_works_for_its_owner(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    response = client.post(
        page.url,
        data=page.fields() | {"csrf_token": "stale", field("a", "core.security_lead"): "no"},
    )
    restore_url = response.headers["Location"]
    assert "restore=" in restore_url
    # A colleague in the same organization opening the link gets the page, but not the answers.
    from portal.auth import service as accounts
    from portal.models import Organization, User

    with app.app_context():
        org = db.session.get(Organization, world.org_a)
        inviter = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        invitation, _ = accounts.create_invitation(org, "colleague@alpha.example.org", inviter)
        accounts.accept_invitation(invitation, "Col League", "correct horse battery staple")
        db.session.commit()
    colleague = app.test_client()
    login(colleague, "colleague@alpha.example.org")
    seen_by_colleague = colleague.get(restore_url)
    assert seen_by_colleague.status_code == 200
    assert "Unsaved changes" not in seen_by_colleague.get_data(as_text=True)
    assert "Unsaved changes" in client.get(restore_url).get_data(as_text=True)


def test_a_question_revealed_by_the_same_post_is_saved(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    html = wizard.page(0).html
    assert (
        autosave(
            client,
            wizard.assessment_id,
            html,
            question_id="core.runs_ot",
            value="no",
            note="",
            revision=0,
        ).status_code
        == 200
    )
    page = wizard.page(0)  # the OT question is now hidden and disabled
    data = page.fields() | {
        "csrf_token": csrf_token(page.html),
        "action": "stay",
        field("a", "core.runs_ot"): "yes",
        field("a", "core.ot_security_owner"): "yes",
        field("r", "core.ot_security_owner"): "0",
        field("n", "core.security_lead"): "kept",
    }
    assert client.post(page.url, data=data).status_code == 302
    from tests.factories import stored_answers

    stored = stored_answers(app, wizard.assessment_id)
    assert stored["core.runs_ot"].value == "yes"
    assert stored["core.ot_security_owner"].value == "yes"
    assert stored["core.security_lead"].note == "kept"


def test_restored_answers_show_the_questions_they_reveal(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    html = wizard.page(0).html
    autosave(
        client,
        wizard.assessment_id,
        html,
        question_id="core.runs_ot",
        value="no",
        note="",
        revision=0,
    )
    page = wizard.page(0)
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(revoked_at=sa.func.now()))
        db.session.commit()
    response = client.post(
        page.url,
        data=page.fields()
        | {
            "csrf_token": csrf_token(page.html),
            field("a", "core.runs_ot"): "yes",
            field("r", "core.runs_ot"): "1",
        },
    )
    target = response.headers["Location"].split("next=", 1)[1]
    from urllib.parse import unquote

    login(client, world.operator_a)
    restored = client.get(unquote(target)).get_data(as_text=True)
    from bs4 import BeautifulSoup

    restored_page = Page(unquote(target), restored, BeautifulSoup(restored, "html.parser"))
    assert "core.ot_security_owner" in restored_page.shown_questions


def test_hostile_numbers_and_characters_never_cause_a_500(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    token = csrf_token(page.html)
    base = page.fields() | {"csrf_token": token}
    cases = [
        base | {field("r", "core.security_lead"): "²", field("a", "core.security_lead"): "yes"},
        base | {"action": "goto-²"},
        base | {"action": "goto-99999999999999999999"},
        base | {field("n", "core.security_lead"): "nul\x00here"},
    ]
    for data in cases:
        assert client.post(page.url, data=data).status_code < 500, data
    nul = client.post(page.url, data=base | {field("n", "core.security_lead"): "a\x00b"})
    assert "Remove the invisible control characters" in nul.get_data(as_text=True)
    surrogate = client.post(
        f"/assessments/{wizard.assessment_id}/answers",
        data='{"question_id": "core.security_lead", "value": "yes", '
        '"note": "\\ud800", "revision": 0}',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert surrogate.status_code == 400
    assert client.get("/assessments/99999999999999999999999/results").status_code == 404
    conflicts = client.post(
        f"/assessments/{wizard.assessment_id}/conflicts",
        data={"csrf_token": token, "next_url": "/assessments/1/\r\nX: y"},
    )
    assert conflicts.status_code == 302
    assert "\n" not in conflicts.headers["Location"]


def test_a_form_post_to_a_question_no_page_shows_is_refused(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    html = wizard.page(0).html
    autosave(
        client,
        wizard.assessment_id,
        html,
        question_id="core.runs_ot",
        value="no",
        note="",
        revision=0,
    )
    page = wizard.page(0)
    data = page.fields() | {
        "csrf_token": csrf_token(page.html),
        "action": "stay",
        field("a", "core.ot_security_owner"): "yes",
        field("r", "core.ot_security_owner"): "0",
        field("n", "core.security_lead"): "would be lost with it",
    }
    response = client.post(page.url, data=data)
    assert response.status_code == 400
    assert "We could not read that request" in response.get_data(as_text=True)
    from tests.factories import stored_answers

    assert set(stored_answers(app, wizard.assessment_id)) == {"core.runs_ot"}
