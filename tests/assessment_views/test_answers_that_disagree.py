"""The same fact asked twice (#34): DMARC is asked in the core module and again in the hospital's
(and the bank's). The wizard shows the earlier answer beside the later question; answers that
cannot both be true are listed on the check-your-answers page, and submitting asks to change one
or confirm both — without losing anything. The coordinator sees a confirmed pair.

Also: the check-your-answers page lists "I don't know" answers in the wizard's order."""

from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Assessment, AssessmentStatus, AuditEvent
from tests.factories import World, stored_answers
from tests.web import Wizard, csrf_token, login, post_form, start

CORE = "core.email_authentication"
HOSPITAL = "hospital.clinician_email_protection"


def _hospital_saying(client: FlaskClient, world: World, answers: dict[str, str]) -> Wizard:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    wizard.fill_all(lambda qid, values: answers.get(qid, values[0]))
    return wizard


def _step_of(wizard: Wizard, question_id: str) -> int:
    for number in range(wizard.step_count()):
        if f'data-question="{question_id}"' in wizard.page(number).html:
            return number
    raise AssertionError(question_id)


def test_a_dmarc_answer_that_disagrees_is_shown_asked_and_confirmed(
    app: Flask, client: FlaskClient, world: World
) -> None:
    wizard = _hospital_saying(client, world, {CORE: "no", HOSPITAL: "yes"})
    aid = wizard.assessment_id

    # The hospital's question shows the core answer, marked as disagreeing, with a way back.
    page = wizard.page(_step_of(wizard, HOSPITAL))
    before = page.soup.select_one(f'fieldset[data-question="{HOSPITAL}"] .portal-question__before')
    assert before is not None and "portal-question__before--clash" in before["class"]
    words = " ".join(before.get_text(" ").split())
    assert "disagrees with an earlier one" in words and "answered “No”" in words
    link = before.select_one("a")
    assert link is not None and link["href"].endswith(f"#q-{CORE}")

    review = client.get(f"/assessments/{aid}/review").get_data(as_text=True)
    soup = BeautifulSoup(review, "html.parser")
    clashes = soup.select_one("#clashes")
    assert clashes is not None and clashes.get_text(strip=True) == "Answers that disagree"
    region = clashes.find_parent(class_="usa-alert")
    assert "“No”" in region.get_text() and "DMARC at quarantine or reject" in region.get_text()

    # Submitting without confirming: refused in words, nothing lost, still a draft.
    before_submit = {q: a.value for q, a in stored_answers(app, aid).items()}
    refused = post_form(client, f"/assessments/{aid}/submit", {}, page=f"/assessments/{aid}/review")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("#clashes")
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Two of your answers disagree" in shown
    assert {q: a.value for q, a in stored_answers(app, aid).items()} == before_submit
    with app.app_context():
        assert db.session.get_one(Assessment, aid).status is AssessmentStatus.DRAFT

    # Ticked, but for pairs other than those listed now (the page was loaded before a colleague
    # changed an answer): refused too — a tick confirms only the pairs the person saw.
    stale = post_form(
        client,
        f"/assessments/{aid}/submit",
        {"clashes_confirmed": "yes", "clash": "core.other/hospital.other"},
        page=f"/assessments/{aid}/review",
    )
    assert stale.status_code == 302 and stale.headers["Location"].endswith("#clashes")
    listed = [i["value"] for i in soup.select("form input[name=clash]")]
    assert listed == [f"{CORE}/{HOSPITAL}"]
    confirmed = post_form(
        client,
        f"/assessments/{aid}/submit",
        {"clashes_confirmed": "yes", "clash": listed},
        page=f"/assessments/{aid}/review",
    )
    assert confirmed.status_code == 302 and "/results" in confirmed.headers["Location"]
    with app.app_context():
        assert db.session.get_one(Assessment, aid).status is AssessmentStatus.SUBMITTED
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "assessment.clashes_confirmed")
        )
        assert event is not None and f"{CORE}/{HOSPITAL}" in str(event.details)

    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    detail = BeautifulSoup(
        coordinator.get(f"/review/assessments/{aid}").get_data(as_text=True), "html.parser"
    )
    heading = detail.select_one("#clashes-heading")
    assert heading is not None
    assert "confirmed these answers" in heading.find_parent("section").get_text()


def test_answers_that_agree_show_the_earlier_one_without_a_warning(
    app: Flask, client: FlaskClient, world: World
) -> None:
    # DMARC at reject in core; basic filtering only here: both can be true.
    wizard = _hospital_saying(client, world, {CORE: "yes", HOSPITAL: "partly"})
    page = wizard.page(_step_of(wizard, HOSPITAL))
    before = page.soup.select_one(f'fieldset[data-question="{HOSPITAL}"] .portal-question__before')
    assert before is not None and "portal-question__before--clash" not in before["class"]
    assert "answered “Yes, with DMARC set to reject”" in " ".join(before.get_text(" ").split())
    review = client.get(f"/assessments/{wizard.assessment_id}/review").get_data(as_text=True)
    assert 'id="clashes"' not in review and 'name="clashes_confirmed"' not in review
    submitted = post_form(
        client,
        f"/assessments/{wizard.assessment_id}/submit",
        {},
        page=f"/assessments/{wizard.assessment_id}/review",
    )
    assert "/results" in submitted.headers["Location"]


def test_i_dont_know_answers_are_listed_in_the_wizards_order(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.operator_a)
    wizard = Wizard(client, start(client))
    wizard.fill_all()
    order = [
        qid
        for number in range(wizard.step_count())
        for qid in wizard.page(number).shown_questions
        if not wizard.page(number)
        .soup.select_one(f'fieldset[data-question="{qid}"]')
        .has_attr("hidden")
    ]
    # Questions whose ids sort otherwise than the wizard asks them (the page used the stored
    # order: by id), answered "I don't know" from the last back.
    i = next(i for i in range(len(order) - 1) if order[i] > order[i + 1])
    chosen = [order[0], order[i], order[i + 1], order[-1]]
    assert sorted(chosen) != chosen
    chosen.reverse()
    review_url = f"/assessments/{wizard.assessment_id}/review"
    for qid in chosen:
        html = client.get(review_url).get_data(as_text=True)
        saved = client.post(
            f"/assessments/{wizard.assessment_id}/answers",
            json={"question_id": qid, "value": "dont_know", "note": "", "revision": 1},
            headers={"X-CSRFToken": csrf_token(html)},
        )
        assert saved.status_code == 200, saved.get_data(as_text=True)
    soup = BeautifulSoup(client.get(review_url).get_data(as_text=True), "html.parser")
    heading = next(h for h in soup.select("h2") if "I don't know" in h.get_text())
    listed = [a["href"].split("#q-")[1] for a in heading.find_next("ul").select("a")]
    assert listed == [q for q in order if q in chosen]
