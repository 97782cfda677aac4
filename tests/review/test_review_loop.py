"""The review loop without a browser: what a comment asks stays open until the answer changes or
the operator replies; a return needs a message and keeps the answers as they stood, so the
resubmission shows what changed; pages speak in labels and local time."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.assessments import revision
from portal.config import ConfigError, from_environment
from portal.extensions import db
from portal.geography import STATE_TIME_ZONES, STATES
from portal.models import Answer, Assessment, AssessmentStatus, ReviewComment, StatusChange
from portal.templating import local_datetime
from tests.factories import World, add_tool_request, submit_assessment
from tests.web import login, post_form

MFA = "core.mfa_remote_email"


def _coordinator(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    login(client, world.coordinator_x)
    return client


def _operator(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    login(client, world.operator_a)
    return client


def _comment_and_return(app: Flask, world: World, assessment_id: int) -> FlaskClient:
    coordinator = _coordinator(app, world)
    page = f"/review/assessments/{assessment_id}"
    post_form(
        coordinator, f"{page}/comments", {"question_id": MFA, "body": "Which ones?"}, page=page
    )
    returned = post_form(
        coordinator, f"{page}/return", {"message": "See the MFA answer."}, page=f"{page}/return"
    )
    assert returned.status_code == 302
    return coordinator


def _points(app: Flask, assessment_id: int) -> dict[str, revision.PointStatus]:
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        return {p.question.id: p.status for p in revision.revision_of(assessment).points}


def test_return_needs_a_message_and_a_confirmation_page(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    coordinator = _coordinator(app, world)
    page = f"/review/assessments/{assessment_id}"
    assert "Return for revision…" in coordinator.get(page).get_data(as_text=True)
    confirm = coordinator.get(f"{page}/return")
    assert confirm.status_code == 200
    assert "What needs changing" in confirm.get_data(as_text=True)
    refused = post_form(coordinator, f"{page}/return", {"message": "  "}, page=f"{page}/return")
    assert refused.status_code == 400
    assert "Say what needs changing" in refused.get_data(as_text=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None and assessment.status is AssessmentStatus.SUBMITTED
        assert db.session.scalar(sa.select(sa.func.count(ReviewComment.id))) == 0
    post_form(
        coordinator, f"{page}/return", {"message": "Check MFA, please."}, page=f"{page}/return"
    )
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None and assessment.status is AssessmentStatus.RETURNED
        (message,) = db.session.scalars(sa.select(ReviewComment)).all()
        assert message.body == "Check MFA, please." and message.question_id is None
        change = db.session.scalars(
            sa.select(StatusChange).where(StatusChange.to_status == AssessmentStatus.RETURNED)
        ).one()
        assert change.answers is not None and change.answers[MFA][0] is not None
    # A second return of the same (now returned) assessment is refused in words.
    again = post_form(coordinator, f"{page}/return", {"message": "x"}, page=page)
    assert again.status_code == 302


def test_a_point_is_open_until_the_answer_changes_or_the_operator_replies(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    _comment_and_return(app, world, assessment_id)
    assert _points(app, assessment_id) == {MFA: revision.PointStatus.OPEN}

    operator = _operator(app, world)
    index = operator.get("/assessments/").get_data(as_text=True)
    assert "1 question needs changes" in index
    link = re.search(r'href="(/assessments/\d+/steps/(\d+))#q-core\.mfa_remote_email"', index)
    assert link, "the task list links straight to the question"
    # "Continue" goes to the same place.
    shown = operator.get(f"/assessments/{assessment_id}")
    assert shown.headers["Location"].endswith(f"{link.group(1)}#q-{MFA}")
    step = operator.get(link.group(1)).get_data(as_text=True)
    assert "Which ones?" in step and "Needs changes" in step

    reply_url = f"/assessments/{assessment_id}/questions/{MFA}/reply"
    empty = post_form(operator, reply_url, {"body": ""})
    assert empty.status_code == 400 and "Write your reply." in empty.get_data(as_text=True)
    replied = post_form(operator, reply_url, {"body": "Two service accounts lack it."})
    assert replied.status_code == 302
    assert replied.headers["Location"].endswith(f"{link.group(1)}#q-{MFA}")
    assert _points(app, assessment_id) == {MFA: revision.PointStatus.REPLIED}
    # No thread on this question: nothing to reply to.
    assert (
        operator.get(f"/assessments/{assessment_id}/questions/core.security_lead/reply").status_code
        == 404
    )

    # The coordinator asks again: open again, until the answer itself changes.
    with app.app_context():
        coordinator_id = db.session.scalars(
            sa.select(ReviewComment.author_id).where(ReviewComment.question_id == MFA)
        ).first()
        db.session.add(
            ReviewComment(
                assessment_id=assessment_id,
                author_id=coordinator_id,
                question_id=MFA,
                body="And when will they?",
                created_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    assert _points(app, assessment_id) == {MFA: revision.PointStatus.OPEN}
    with app.app_context():
        row = db.session.scalars(
            sa.select(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id == MFA
            )
        ).one()
        row.value = "yes"
        db.session.commit()
    assert _points(app, assessment_id) == {MFA: revision.PointStatus.CHANGED}
    assert "comments are all dealt with" in operator.get("/assessments/").get_data(as_text=True)


def test_the_resubmission_shows_what_changed_since_the_return(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    coordinator = _comment_and_return(app, world, assessment_id)
    page = f"/review/assessments/{assessment_id}"
    # While it is back with the operator, there is nothing to compare yet.
    assert "Changed since you returned it" not in coordinator.get(page).get_data(as_text=True)
    with app.app_context():
        row = db.session.scalars(
            sa.select(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id == MFA
            )
        ).one()
        before = row.value
        row.value, row.note = "yes", "All mailboxes since November."
        db.session.commit()
    operator = _operator(app, world)
    assert (
        post_form(
            operator,
            f"/assessments/{assessment_id}/submit",
            {},
            page=f"/assessments/{assessment_id}/review",
        ).status_code
        == 302
    )
    html = coordinator.get(page).get_data(as_text=True)
    assert "Changed since you returned it" in html
    start = html.index("Changed since you returned it")
    section = html[start : html.index("</section>", start)]
    assert f'href="#row-{MFA}"' in section and "All mailboxes since November." in section
    assert section.count("<li>") == 1, "only the answer that changed"
    assert before != "yes"


def test_coordinator_sees_answers_by_section_and_can_keep_to_those_needing_a_look(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world, notes={"core.security_lead": "Our CFO."})
    coordinator = _coordinator(app, world)
    page = f"/review/assessments/{assessment_id}"
    everything = coordinator.get(page).get_data(as_text=True)
    flagged = coordinator.get(f"{page}?show=attention").get_data(as_text=True)
    rows_all = everything.count('class="portal-answer')
    rows_flagged = flagged.count('class="portal-answer')
    assert everything.count('<section class="portal-answers"') > 3
    assert 0 < rows_flagged < rows_all
    assert 'id="row-core.security_lead"' in flagged  # a note
    assert "Critical gap" in flagged and "I don&#39;t know" in flagged
    # No question picker far from the rows: each row has its own comment form.
    assert 'name="question_id" value="core.security_lead"' in everything
    assert "<select" not in everything.split('id="answers"')[0].split('id="comments"')[1]
    # An empty inline comment is refused in its own row, the typed text kept.
    refused = post_form(
        coordinator, f"{page}/comments", {"question_id": MFA, "body": ""}, page=page
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert f'id="comment-{MFA}-error"' in html


def test_check_your_answers_lists_every_answer_with_a_change_link(app: Flask, world: World) -> None:
    operator = _operator(app, world)
    started = post_form(operator, "/assessments/start", {}, page="/assessments/")
    draft = int(re.search(r"/assessments/(\d+)/", started.headers["Location"]).group(1))  # type: ignore[union-attr]
    index = operator.get("/assessments/").get_data(as_text=True)
    assert re.search(r"<strong>0 of \d+</strong> questions answered, about \d+ minutes left", index)
    html = operator.get(f"/assessments/{draft}/review").get_data(as_text=True)
    assert "Check your answers before submitting" in html
    changes = re.findall(rf'href="/assessments/{draft}/steps/\d+#q-([a-z_.]+)">Change', html)
    assert len(changes) > 20 and "core.security_lead" in changes
    assert html.count("Not answered") == len(changes)


def test_labels_not_codes(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    with app.test_request_context():
        add_tool_request(world.org_a, assessment_id)
        db.session.commit()
    coordinator = _coordinator(app, world)
    queue = coordinator.get("/review/").get_data(as_text=True)
    assert "Hospital or clinic" in queue and ">hospital<" not in queue
    requests = coordinator.get("/review/tool-requests").get_data(as_text=True)
    assert "cisa_vuln_scanning" not in requests and "Vulnerability Scanning" in requests
    assert re.search(r">#\d+<", requests) is None and "Request of " in requests


def test_times_are_local_with_the_zone_named(app: Flask, world: World) -> None:
    noon_utc = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)
    assert local_datetime(noon_utc, ZoneInfo("America/Chicago")) == "Dec 1, 2026, 11:05 AM CST"
    assert local_datetime(noon_utc.replace(month=7), ZoneInfo("America/New_York")).endswith("EDT")
    assert (
        local_datetime(noon_utc.replace(tzinfo=None), ZoneInfo("UTC")) == "Dec 1, 2026, 5:05 PM UTC"
    )
    assert set(STATE_TIME_ZONES) == set(STATES)
    submit_assessment(app, world)
    # Ohio's operator and coordinator: Eastern; an admin: the deployment's zone.
    for client, path in (
        (_operator(app, world), "/assessments/"),
        (_coordinator(app, world), "/review/"),
    ):
        page = client.get(path).get_data(as_text=True).split("<main")[1]
        assert re.search(r"\d:\d\d [AP]M E[SD]T", page), path
        assert "UTC" not in page, path
    admin = app.test_client()
    login(admin, world.admin)
    saved = app.config["PORTAL_TIME_ZONE"]
    app.config["PORTAL_TIME_ZONE"] = "America/Denver"
    try:
        audit = admin.get("/admin/audit").get_data(as_text=True)
        assert re.search(r"\d:\d\d [AP]M M[SD]T", audit)
    finally:
        app.config["PORTAL_TIME_ZONE"] = saved
    with pytest.raises(ConfigError, match="PORTAL_TIME_ZONE"):
        from_environment({"PORTAL_TIME_ZONE": "Mars/Olympus"})


def test_the_official_banner_only_where_the_deployment_is_official(app: Flask) -> None:
    client = app.test_client()
    neutral = client.get("/login").get_data(as_text=True)
    assert "usa-banner" not in neutral and "An official website" not in neutral
    assert "usa-identifier" in neutral
    app.config["PORTAL_OFFICIAL_GOV"] = True
    try:
        official = client.get("/login").get_data(as_text=True)
    finally:
        app.config["PORTAL_OFFICIAL_GOV"] = False
    assert (
        "usa-banner" in official
        and "An official website of the United States government" in official
    )
    assert from_environment({"PORTAL_OFFICIAL_GOV": "true"})["PORTAL_OFFICIAL_GOV"] is True
    assert from_environment({})["PORTAL_OFFICIAL_GOV"] is False


def _set_answer(app: Flask, assessment_id: int, question_id: str, value: str) -> None:
    with app.app_context():
        row = db.session.scalars(
            sa.select(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id == question_id
            )
        ).one()
        row.value = value
        db.session.commit()


def test_changed_means_different_from_the_return_and_each_round_asks_afresh(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    coordinator = _comment_and_return(app, world, assessment_id)
    with app.app_context():
        original = db.session.scalars(
            sa.select(Answer.value).where(
                Answer.assessment_id == assessment_id, Answer.question_id == MFA
            )
        ).one()
    # Changed and changed back: nothing changed, the point is still open.
    _set_answer(app, assessment_id, MFA, "yes")
    assert _points(app, assessment_id) == {MFA: revision.PointStatus.CHANGED}
    _set_answer(app, assessment_id, MFA, original)
    assert _points(app, assessment_id) == {MFA: revision.PointStatus.OPEN}
    # Second round: resubmitted, then returned with a comment on another question. The first
    # round's thread is history; the new one is what is asked.
    _set_answer(app, assessment_id, MFA, "yes")
    operator = _operator(app, world)
    page = f"/assessments/{assessment_id}"
    post_form(operator, f"{page}/submit", {}, page=f"{page}/review")
    review = f"/review/assessments/{assessment_id}"
    post_form(
        coordinator,
        f"{review}/comments",
        {"question_id": "core.security_lead", "body": "Name a deputy too."},
        page=review,
    )
    post_form(coordinator, f"{review}/return", {"message": "One more."}, page=f"{review}/return")
    assert _points(app, assessment_id) == {"core.security_lead": revision.PointStatus.OPEN}
    index = operator.get("/assessments/").get_data(as_text=True)
    assert "1 question needs changes" in index and "Name a deputy too." in index
    # The earlier thread is still shown under its question, with nothing to do about it.
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        earlier = revision.revision_of(assessment).thread(MFA)
        assert earlier is not None and earlier.status is revision.PointStatus.EARLIER
    assert operator.get(f"{page}/questions/{MFA}/reply").status_code == 404


def test_replies_only_while_the_assessment_is_back_with_the_organization(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    coordinator = _coordinator(app, world)
    review = f"/review/assessments/{assessment_id}"
    post_form(
        coordinator, f"{review}/comments", {"question_id": MFA, "body": "Which?"}, page=review
    )
    operator = _operator(app, world)
    reply = f"/assessments/{assessment_id}/questions/{MFA}/reply"
    assert operator.get(reply).status_code == 404  # submitted: not yet returned
    assert post_form(operator, reply, {"body": "All of them."}, page="/").status_code == 404
    post_form(coordinator, f"{review}/accept", {}, page=review)
    assert post_form(operator, reply, {"body": "All of them."}, page="/").status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(ReviewComment.id)).where(
                    ReviewComment.body == "All of them."
                )
            )
            == 0
        )
    # Accepted: the coordinator's page offers no comment box (nobody would read it).
    accepted = coordinator.get(review).get_data(as_text=True)
    assert "Comment on this answer" not in accepted and 'id="body-whole"' not in accepted


def test_a_return_that_cannot_happen_says_so_before_the_message(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    operator = _operator(app, world)
    post_form(operator, "/assessments/start", {}, page="/assessments/")  # a new draft
    coordinator = _coordinator(app, world)
    confirm = coordinator.get(f"/review/assessments/{assessment_id}/return")
    assert confirm.status_code == 302
    page = coordinator.get(confirm.headers["Location"]).get_data(as_text=True)
    assert "already has a draft in progress" in page


def test_a_coordinator_on_returned_results_is_not_asked_to_continue(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    coordinator = _comment_and_return(app, world, assessment_id)
    results = coordinator.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert "Continue answering" not in results
    assert "back with the organization for revision" in results
