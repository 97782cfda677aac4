"""The guided assessment, driven through its forms as a person would."""

from __future__ import annotations

import json
import re
from io import BytesIO

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import service as accounts
from portal.extensions import db
from portal.models import Assessment, AssessmentStatus, Organization, User, UserSession
from tests.factories import PASSWORD, World, stored_answers
from tests.web import Wizard, autosave, count_queries, csrf_token, field, login, post_form, start


def test_fill_a_whole_assessment_submit_and_see_results(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)  # a hospital
    wizard = Wizard(client, start(client))
    pages = wizard.step_count()
    assert pages > 10  # core + hospital sections

    def chooser(qid: str, values: list[str]) -> str:
        if qid == "core.offline_backups":
            return "dont_know"
        if qid == "core.mfa_remote_email":
            return "no"
        return values[0]

    wizard.fill_all(chooser)
    review = client.get(f"/assessments/{wizard.assessment_id}/review").get_data(as_text=True)
    assert "still need an answer" not in review
    assert "I don&#39;t know" in review or "I don't know" in review
    response = post_form(
        client,
        f"/assessments/{wizard.assessment_id}/submit",
        {},
        page=f"/assessments/{wizard.assessment_id}/review",
    )
    assert response.status_code == 302
    results = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your results" in results
    assert "At risk" in results  # a known critical gap caps the tier
    assert "1 critical gap holds the rating at At risk" in results
    # The backup answer not known is counted apart, and said so.
    assert "1 critical answer is not known yet" in results
    assert "Find out first" in results
    assert "Within 30 days" in results
    assert "<svg" in results and "Score per defensive priority" in results
    # No path through the wizard dropped an answer that was posted.
    stored = stored_answers(app, wizard.assessment_id)
    for qid, value in wizard.posted.items():
        assert stored[qid].value == value, qid
    with app.app_context():
        assessment = db.session.get(Assessment, wizard.assessment_id)
        assert assessment is not None
        assert assessment.status is AssessmentStatus.SUBMITTED
        assert assessment.overall_tier == "at_risk"
        assert assessment.critical_gap_count == 1  # the one count: known gaps only
        assert assessment.questionnaire_version.label == "2026.5"
        assert assessment.score_detail is not None
        assert assessment.score_detail["find_out"] == ["core.offline_backups"]


def test_submitted_assessment_is_locked(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    wizard.fill_all()
    post_form(
        client,
        f"/assessments/{wizard.assessment_id}/submit",
        {},
        page=f"/assessments/{wizard.assessment_id}/review",
    )
    page_html = client.get(f"/assessments/{wizard.assessment_id}/results").get_data(as_text=True)
    response = autosave(
        client,
        wizard.assessment_id,
        page_html,
        question_id="core.security_lead",
        value="no",
        note="",
        revision=1,
    )
    assert response.status_code == 409
    assert stored_answers(app, wizard.assessment_id)["core.security_lead"].value == "yes"
    # The step pages now lead to the results.
    assert client.get(f"/assessments/{wizard.assessment_id}/steps/0").status_code == 302


def test_submit_is_refused_while_questions_are_unanswered(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    review = client.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "still need an answer" in review
    response = post_form(
        client,
        f"/assessments/{assessment_id}/submit",
        {},
        page=f"/assessments/{assessment_id}/review",
        follow_redirects=True,
    )
    assert "still need an answer before you can submit" in response.get_data(as_text=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None and assessment.status is AssessmentStatus.DRAFT


def test_one_draft_at_a_time(client: FlaskClient, world: World) -> None:
    login(client, world.operator_a)
    start(client)
    again = post_form(client, "/assessments/start", {}, page="/assessments/", follow_redirects=True)
    assert "already have an assessment in progress" in again.get_data(as_text=True)


def test_conflict_between_two_colleagues_loses_nothing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        org = db.session.get(Organization, world.org_a)
        inviter = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert org is not None and inviter is not None
        _, token = accounts.create_invitation(org, "second@alpha.example.org", inviter)
        invitation = accounts.find_invitation(token)
        assert invitation is not None
        accounts.accept_invitation(invitation, "Second Person", PASSWORD)
        db.session.commit()
    login(client, world.operator_a)
    assessment_id = start(client)
    colleague = app.test_client()
    login(colleague, "second@alpha.example.org")
    first, second = Wizard(client, assessment_id), Wizard(colleague, assessment_id)
    page_1, page_2 = first.page(0), second.page(0)  # both open the same page
    qid = "core.security_lead"

    def post(wizard: Wizard, page: object, value: str, note: str) -> object:
        data = page.fields()  # type: ignore[attr-defined]
        data.update(
            {
                field("a", qid): value,
                field("n", qid): note,
                "action": "stay",
                "csrf_token": csrf_token(page.html),
            }
        )  # type: ignore[attr-defined]
        return wizard.client.post(page.url, data=data)  # type: ignore[attr-defined]

    assert post(first, page_1, "yes", "named in the May board minutes").status_code == 302
    clash = post(second, page_2, "no", "nobody official")
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "Someone else changed 1 of these answers" in html
    assert "nobody official" in html and "named in the May board minutes" in html
    # Nothing was overwritten.
    assert stored_answers(app, assessment_id)[qid].value == "yes"
    # The second person looks at both and keeps theirs.
    choice = dict(
        re.findall(
            r'name="(mine_value__[^"]+|mine_note__[^"]+|theirs_revision__[^"]+'
            r'|next_url)" value="([^"]*)"',
            html,
        )
    )
    choice[f"choice__{qid}"] = "mine"
    choice["csrf_token"] = csrf_token(html)
    resolved = colleague.post(f"/assessments/{assessment_id}/conflicts", data=choice)
    assert resolved.status_code == 302
    row = stored_answers(app, assessment_id)[qid]
    assert (row.value, row.note, row.revision) == ("no", "nobody official", 2)


def test_autosave_saves_one_answer_and_refuses_a_stale_one(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    html = client.get(f"/assessments/{assessment_id}/steps/0").get_data(as_text=True)
    ok = autosave(
        client,
        assessment_id,
        html,
        question_id="core.security_lead",
        value="partly",
        note="Ana does it on Fridays",
        revision=0,
    )
    assert ok.status_code == 200
    assert ok.get_json()["revision"] == 1
    again = autosave(
        client,
        assessment_id,
        html,
        question_id="core.security_lead",
        value="yes",
        note="",
        revision=1,
    )
    assert again.get_json()["revision"] == 2
    stale = autosave(
        client,
        assessment_id,
        html,
        question_id="core.security_lead",
        value="no",
        note="",
        revision=1,
    )
    assert stale.status_code == 409
    assert "changed this answer" in stale.get_json()["message"]
    assert stored_answers(app, assessment_id)["core.security_lead"].value == "yes"


def test_bad_answers_are_rejected_and_nothing_is_written(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    wizard = Wizard(client, assessment_id)
    page = wizard.page(0)
    token = csrf_token(page.html)
    bad_payloads = [
        {"question_id": "core.security_lead", "value": "sometimes", "note": "", "revision": 0},
        {"question_id": "core.nonexistent", "value": "yes", "note": "", "revision": 0},
        {
            "question_id": "water.manual_operation",
            "value": "practised",
            "note": "",
            "revision": 0,
        },  # a water question in a hospital's assessment
        {"question_id": "core.security_lead", "value": "na", "note": "", "revision": 0},
        {"question_id": "core.security_lead", "value": "yes", "note": "x" * 2001, "revision": 0},
        {"question_id": "core.security_lead", "value": ["yes"], "note": "", "revision": 0},
    ]
    for payload in bad_payloads:
        response = client.post(
            f"/assessments/{assessment_id}/answers", json=payload, headers={"X-CSRFToken": token}
        )
        assert response.status_code == 400, payload
    # Forms: a tampered value and a tampered question id.
    data = page.fields() | {"csrf_token": token, "action": "stay"}
    assert (
        client.post(page.url, data=data | {field("a", "core.security_lead"): "maybe"}).status_code
        == 400
    )
    assert client.post(page.url, data=data | {field("a", "core.made_up"): "yes"}).status_code == 400
    assert stored_answers(app, assessment_id) == {}


def test_answers_to_hidden_questions_are_rejected(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    html = client.get(f"/assessments/{assessment_id}/steps/0").get_data(as_text=True)
    assert (
        autosave(
            client, assessment_id, html, question_id="core.runs_ot", value="no", note="", revision=0
        ).status_code
        == 200
    )
    hidden = autosave(
        client,
        assessment_id,
        html,
        question_id="water.manual_operation",
        value="practised",
        note="",
        revision=0,
    )
    assert hidden.status_code == 400
    ot_question = "core.ot_security_owner"
    with app.app_context():
        from portal import questionnaire_versions

        questionnaire = questionnaire_versions.current()
        assert not questionnaire.question(ot_question).is_shown({"core.runs_ot": "no"})
    response = autosave(
        client, assessment_id, html, question_id=ot_question, value="yes", note="", revision=0
    )
    assert response.status_code == 400
    assert set(stored_answers(app, assessment_id)) == {"core.runs_ot"}


def test_an_answer_hidden_by_the_same_post_is_kept(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    data = page.fields() | {
        "csrf_token": csrf_token(page.html),
        "action": "stay",
        field("a", "core.runs_ot"): "no",
        field("a", "core.ot_security_owner"): "yes",
    }
    assert client.post(page.url, data=data).status_code == 302
    stored = stored_answers(app, wizard.assessment_id)
    assert stored["core.runs_ot"].value == "no"
    assert stored["core.ot_security_owner"].value == "yes"  # kept, just not counted
    reloaded = wizard.page(0)
    assert "core.ot_security_owner" not in reloaded.shown_questions
    # The questions shown are numbered 1, 2, 3 … with no gap where one is hidden.
    numbers = [
        fs.select_one(".portal-question__number").get_text(strip=True)
        for fs in reloaded.soup.select("fieldset[data-question]")
        if not fs.has_attr("hidden")
    ]
    assert numbers == [f"{n}." for n in range(1, len(numbers) + 1)]
    hidden = reloaded.soup.select_one('fieldset[data-question="core.ot_security_owner"]')
    assert hidden.select_one(".portal-question__number").get_text(strip=True) == ""


def test_html_in_a_note_is_stored_as_typed_and_shown_escaped(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    evil = '<script>alert("x")</script> & <b>bold</b>'
    wizard.answer(0, notes={"core.security_lead": evil}, action="stay")
    assert stored_answers(app, wizard.assessment_id)["core.security_lead"].note == evil
    html = wizard.page(0).html
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        or "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    )


def test_overlong_note_gets_a_clear_message_and_keeps_the_text(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    long_note = "word " * 500  # 2,500 characters
    response = wizard.answer(0, notes={"core.security_lead": long_note}, action="stay")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "A note can be at most 2000 characters" in html
    assert long_note.strip() in html
    assert stored_answers(app, wizard.assessment_id) == {}


def test_expired_session_keeps_the_answers_until_sign_in(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    # The session expires while the person is typing.
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(revoked_at=sa.func.now()))
        db.session.commit()
    data = page.fields() | {
        "csrf_token": csrf_token(page.html),
        "action": "next",
        field("a", "core.security_lead"): "partly",
        field("n", "core.security_lead"): "Ana, informally",
    }
    response = client.post(page.url, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert stored_answers(app, wizard.assessment_id) == {}
    # Sign in again and land on the same page, filled in.
    html = client.get("/login").get_data(as_text=True)
    next_url = response.headers["Location"].split("next=", 1)[1]
    from urllib.parse import unquote

    signed_in = client.post(
        f"/login?next={next_url}",
        data={"email": world.operator_a, "password": PASSWORD, "csrf_token": csrf_token(html)},
    )
    target = signed_in.headers["Location"]
    assert target == unquote(next_url)
    restored = client.get(target).get_data(as_text=True)
    assert "Unsaved changes from" in restored
    assert "Ana, informally" in restored
    from bs4 import BeautifulSoup

    from tests.web import Page

    restored_page = Page(target, restored, BeautifulSoup(restored, "html.parser"))
    resave = restored_page.fields() | {"csrf_token": csrf_token(restored), "action": "next"}
    assert (
        client.post(f"/assessments/{wizard.assessment_id}/steps/0", data=resave).status_code == 302
    )
    row = stored_answers(app, wizard.assessment_id)["core.security_lead"]
    assert (row.value, row.note) == ("partly", "Ana, informally")


def test_stale_csrf_token_on_save_keeps_the_answers(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    page = wizard.page(0)
    data = page.fields() | {
        "csrf_token": "stale-token",
        "action": "next",
        field("a", "core.security_lead"): "no",
    }
    response = client.post(page.url, data=data)
    assert response.status_code == 302
    assert "restore=" in response.headers["Location"]
    restored = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Unsaved changes from" in restored
    assert re.search(r'value="no"[^>]*checked|checked[^>]*value="no"', restored)


def test_other_tenants_assessment_answers_404_and_nothing_is_written(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    assessment_id = start(client)
    intruder = app.test_client()
    login(intruder, world.operator_b)
    html = intruder.get("/").get_data(as_text=True)
    token = csrf_token(html)
    for path in (
        f"/assessments/{assessment_id}/steps/0",
        f"/assessments/{assessment_id}/review",
        f"/assessments/{assessment_id}/results",
        f"/assessments/{assessment_id}/export.json",
    ):
        assert intruder.get(path).status_code == 404, path
    posted = intruder.post(
        f"/assessments/{assessment_id}/steps/0",
        data={
            "csrf_token": token,
            field("a", "core.security_lead"): "no",
            field("r", "core.security_lead"): "0",
        },
    )
    assert posted.status_code == 404
    assert (
        intruder.post(
            f"/assessments/{assessment_id}/answers",
            json={"question_id": "core.security_lead", "value": "no", "note": "", "revision": 0},
            headers={"X-CSRFToken": token},
        ).status_code
        == 404
    )
    assert (
        intruder.post(
            f"/assessments/{assessment_id}/submit", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert stored_answers(app, assessment_id) == {}


def test_reassessment_is_prefilled_and_shows_what_changed(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    first = Wizard(client, start(client))

    def weak(qid: str, values: list[str]) -> str:
        return "no" if qid in ("core.security_lead", "core.mfa_remote_email") else values[0]

    first.fill_all(weak)
    post_form(
        client,
        f"/assessments/{first.assessment_id}/submit",
        {},
        page=f"/assessments/{first.assessment_id}/review",
    )
    second_id = start(client)
    before = stored_answers(app, first.assessment_id)
    after = stored_answers(app, second_id)
    # Answers that go stale with time ("in the last 12 months") start empty (prefill: false);
    # every other answer is copied.
    stale = {"core.incident_exercise", "core.exercise_when", "core.operations_exercise",
             "core.phishing_training", "core.role_based_training"}  # fmt: skip
    assert stale & set(before) and not stale & set(after)
    assert {q: r.value for q, r in after.items()} == {
        q: r.value for q, r in before.items() if q not in stale
    }
    for qid in sorted(stale & set(before)):
        autosave(
            client,
            second_id,
            client.get(f"/assessments/{second_id}/steps/0").get_data(as_text=True),
            question_id=qid,
            value=before[qid].value,
            note="",
            revision=0,
        )
    html = client.get(f"/assessments/{second_id}/steps/0").get_data(as_text=True)
    autosave(
        client,
        second_id,
        html,
        question_id="core.security_lead",
        value="yes",
        note="",
        revision=after["core.security_lead"].revision,
    )
    autosave(
        client,
        second_id,
        html,
        question_id="core.leadership_oversight",
        value="no",
        note="",
        revision=after["core.leadership_oversight"].revision,
    )
    post_form(
        client, f"/assessments/{second_id}/submit", {}, page=f"/assessments/{second_id}/review"
    )
    results = client.get(f"/assessments/{second_id}/results").get_data(as_text=True)
    assert "What changed since your last submission" in results
    improved = results.split("Improved (1)")[1].split("Got worse")[0]
    assert "named one person in charge of cybersecurity" in improved
    assert "Got worse (1)" in results
    assert "The dashed line marks your previous score" in results


def test_json_export_and_import_into_a_new_draft(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    wizard.answer(0, notes={"core.security_lead": "see HR file"})
    exported = client.get(f"/assessments/{wizard.assessment_id}/export.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    document = exported.get_json()
    assert document["questionnaire"]["version"] == "2026.5"
    assert document["answers"]["core.security_lead"] == {"value": "yes", "note": "see HR file"}
    assert "overall_score" in document["scores"]
    # Only one draft at a time: finish the first (delete it for the test), then import.
    with app.app_context():
        db.session.execute(sa.delete(Assessment).where(Assessment.id == wizard.assessment_id))
        db.session.commit()
    document["answers"]["core.not_a_question"] = {"value": "yes", "note": ""}
    upload = {"file": (BytesIO(json.dumps(document).encode()), "mine.json")}
    response = post_form(
        client,
        "/assessments/import",
        upload,
        page="/assessments/",
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "could not be used because the questions changed: core.not_a_question" in html
    with app.app_context():
        draft = db.session.scalar(
            sa.select(Assessment).where(Assessment.organization_id == world.org_a)
        )
        assert draft is not None and draft.status is AssessmentStatus.DRAFT
        imported = stored_answers(app, draft.id)
    assert imported["core.security_lead"].note == "see HR file"
    assert len(imported) == len(document["answers"]) - 1


def test_import_rejects_bad_files_with_a_clear_message(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_b)
    cases = [
        (b"not json at all", "not valid JSON"),
        (json.dumps({"format": "something-else"}).encode(), "not an assessment exported"),
        (
            json.dumps(
                {
                    "format": "readiness-portal.assessment/1",
                    "organization": {"id": 999},
                    "answers": {},
                }
            ).encode(),
            "belongs to another organization",
        ),
    ]
    for raw, message in cases:
        upload = {"file": (BytesIO(raw), "file.json")}
        response = post_form(
            client,
            "/assessments/import",
            upload,
            page="/assessments/",
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    wrong_type = {"file": (BytesIO(b"{}"), "notes.txt")}
    response = post_form(
        client,
        "/assessments/import",
        wrong_type,
        page="/assessments/",
        content_type="multipart/form-data",
    )
    assert "Choose a .json file" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 0


def test_concurrent_autosaves_of_different_questions_both_land(app: Flask, world: World) -> None:
    """Two tabs autosaving different questions at the same moment: both saved, no 500."""
    import threading

    clients = [app.test_client(), app.test_client()]
    for c in clients:
        login(c, world.operator_a)
    assessment_id = start(clients[0])
    html = [c.get(f"/assessments/{assessment_id}/steps/0").get_data(as_text=True) for c in clients]
    questions = ["core.security_lead", "core.leadership_oversight"]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def save(index: int) -> None:
        for round_ in range(5):
            try:
                barrier.wait(timeout=10)
                response = autosave(
                    clients[index],
                    assessment_id,
                    html[index],
                    question_id=questions[index],
                    value=["yes", "no"][round_ % 2],
                    note=f"round {round_}",
                    revision=round_,
                )
                statuses.append(response.status_code)
            except Exception:  # a crashed request or a broken barrier counts as a failure
                statuses.append(-1)
                barrier.abort()
                return

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
    stored = stored_answers(app, assessment_id)
    assert {q: (stored[q].note, stored[q].revision) for q in questions} == {
        q: ("round 4", 5) for q in questions
    }


def test_wizard_page_and_autosave_cost_a_fixed_handful_of_queries(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Login, assessment (with organization and version), answers, comments: four queries
    for a step however many answers exist; five for an autosave."""
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    path = f"/assessments/{wizard.assessment_id}/steps/0"
    empty, response = count_queries(app, lambda: client.get(path))
    assert response.status_code == 200  # type: ignore[attr-defined]
    wizard.fill_all()
    full, response = count_queries(app, lambda: client.get(path))
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert empty == full <= 4, (empty, full)

    html = client.get(path).get_data(as_text=True)
    revision = stored_answers(app, wizard.assessment_id)["core.security_lead"].revision
    saves, response = count_queries(
        app,
        lambda: autosave(
            client,
            wizard.assessment_id,
            html,
            question_id="core.security_lead",
            value="no",
            note="changed",
            revision=revision,
        ),
    )
    assert response.get_json()["revision"] == revision + 1  # type: ignore[attr-defined]
    # login, assessment, claim (UPDATE), answers, compare-and-set (UPDATE … RETURNING); the
    # transaction's BEGIN/COMMIT are not cursor executions.
    assert saves <= 5, saves
