"""Mail about the work: coordinators hear of submissions (at once or in a daily digest),
operators of decisions; preferences and one-click unsubscribe; reminders sent once per event;
the plan's calendar file."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from icalendar import Calendar

from portal.extensions import db
from portal.mail import outbox
from portal.models import (
    Assessment,
    AssessmentStatus,
    NotificationPreference,
    OutboxMessage,
    ToolRequest,
    User,
    utcnow,
)
from tests.factories import World, add_tool_request, submit_assessment
from tests.smtp import SmtpServer
from tests.web import calendar_window_of, csrf_token, login, post_form


def close(response: Any) -> Any:
    response.close()
    outbox.wait_for_deliveries()
    return response


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(User.id).where(User.email == email))
        assert found is not None
        return found


def test_coordinators_of_the_jurisdiction_hear_of_a_submission(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    assessment_id = submit_assessment(app, world)  # submitted in a command, not a request
    messages = mail_server.wait_for(1)
    assert [m.envelope_to for m in messages] == [["x@state-oh.example.org"]]  # not Y's
    message = messages[0]
    assert "Alpha Hospital SENTINEL-A submitted" in message.message["Subject"]
    url = f"http://localhost/review/assessments/{assessment_id}"
    assert url in message.text and url in message.html
    # Optional: one click unsubscribes (RFC 8058), and the preferences page is linked.
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        # (folded onto a second line when long: a header's leading space is not its value)
        r"<http://localhost/unsubscribe/[^>]+>",
        message.message["List-Unsubscribe"].strip(),
    )
    assert "http://localhost/account/notifications" in message.text


def test_a_coordinator_who_chose_a_daily_digest_gets_one_message_a_day(
    app: Flask, world: World, mail_server: SmtpServer, runner: Any
) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    saved = post_form(coordinator, "/account/notifications", {"submissions": "daily"})
    assert saved.status_code == 302
    first = submit_assessment(app, world)
    with app.app_context():
        operator = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert operator is not None
        request_row = add_tool_request(world.org_a, first, created_by_id=operator.id)
        db.session.commit()
        request_id = request_row.id
        from portal.mail import notices

        notices.tool_request_submitted(db.session.get(ToolRequest, request_id))  # type: ignore[arg-type]
        db.session.commit()
    assert mail_server.wait_for(1, seconds=1) == []
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "1 digest(s)" in result.output
    (digest,) = mail_server.wait_for(1)
    assert digest.envelope_to == ["x@state-oh.example.org"]
    assert "2 new in your jurisdiction" in digest.message["Subject"]
    assert f"/review/assessments/{first}" in digest.text
    assert f"/tool-requests/{request_id}" in digest.text
    again = runner.invoke(args=["reminders", "send"])
    assert "0 digest(s)" in again.output
    assert len(mail_server.wait_for(2, seconds=1)) == 1


def test_a_returned_assessment_tells_the_operators_what_to_change_with_links(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    assessment_id = submit_assessment(app, world)
    mail_server.wait_for(1)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = f"/review/assessments/{assessment_id}"
    post_form(
        coordinator,
        f"{page}/comments",
        {"question_id": "core.security_lead", "body": "Please name the person & their deputy."},
        page=page,
    )
    post_form(coordinator, f"{page}/comments", {"body": "Good start overall."}, page=page)
    close(post_form(coordinator, f"{page}/return", {"message": "See my two notes."}, page=page))
    operator_messages = mail_server.wait_for(2)[1:]
    (message,) = operator_messages
    assert message.envelope_to == [world.operator_a]
    assert message.message["Subject"] == "Your assessment was returned for revision"
    assert "Please name the person & their deputy." in message.text
    assert "Please name the person &amp; their deputy." in message.html  # escaped in HTML
    link = re.search(
        r"http://localhost(/assessments/\d+/steps/\d+#q-core\.security_lead)", message.text
    )
    assert link, message.text
    operator = app.test_client()
    login(operator, world.operator_a)
    step = operator.get(link.group(1).split("#")[0]).get_data(as_text=True)
    assert 'id="q-core.security_lead"' in step
    assert "Please name the person &amp; their deputy." in step


def test_operators_hear_of_acceptance_and_tool_request_decisions_unless_they_opt_out(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    assessment_id = submit_assessment(app, world)
    mail_server.wait_for(1)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = f"/review/assessments/{assessment_id}"
    close(post_form(coordinator, f"{page}/accept", {}, page=page))
    accepted = mail_server.wait_for(2)[1]
    assert accepted.message["Subject"] == "Your assessment was accepted"
    assert f"http://localhost/assessments/{assessment_id}/results" in accepted.text
    with app.app_context():
        request_row = add_tool_request(world.org_a, assessment_id)
        db.session.commit()
        request_id = request_row.id
    show = f"/tool-requests/{request_id}"
    close(
        post_form(
            coordinator,
            f"/review/tool-requests/{request_id}/decide",
            {"action": "deny", "reason": "Ask MS-ISAC first; call me on 555-0100."},
            page=show,
        )
    )
    denied = mail_server.wait_for(3)[2]
    assert denied.message["Subject"] == "Your request for free services was denied"
    assert "Ask MS-ISAC first; call me on 555-0100." in denied.text
    # One click on the unsubscribe link (no session, no CSRF token): decisions stop, only them.
    unsubscribe = (
        denied.message["List-Unsubscribe"].strip().strip("<>").replace("http://localhost", "")
    )
    stranger = app.test_client()
    confirm_page = stranger.get(unsubscribe)
    assert "Stop these messages?" in confirm_page.get_data(as_text=True)
    one_click = stranger.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert "You are unsubscribed" in one_click.get_data(as_text=True)
    with app.app_context():
        prefs = {
            (p.user_id, p.topic): p.setting
            for p in db.session.scalars(sa.select(NotificationPreference))
        }
    assert prefs == {(user_id(app, world.operator_a), "decisions"): "off"}
    with app.app_context():
        second = add_tool_request(world.org_a, assessment_id, justification="Again")
        db.session.commit()
        second_id = second.id
    close(
        post_form(
            coordinator,
            f"/review/tool-requests/{second_id}/decide",
            {"action": "approve"},
            page=f"/tool-requests/{second_id}",
        )
    )
    assert len(mail_server.wait_for(4, seconds=1)) == 3  # nothing more for the operator


def test_bad_unsubscribe_links_change_nothing(app: Flask, world: World, mail_server: Any) -> None:
    from portal.mail import preferences

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        url = preferences.unsubscribe_url(user, "reminders").replace("http://localhost", "")
        user.is_active = False
        db.session.commit()
    client = app.test_client()
    for bad in (url[:-4] + "abcd", "/unsubscribe/" + "A" * 3000, "/unsubscribe/e30", url):
        response = client.post(bad)
        assert response.status_code == 404, bad
        assert "This link does not work" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0
        )


def test_the_preferences_page_offers_each_role_its_topics_and_refuses_nonsense(
    app: Flask, world: World
) -> None:
    operator = app.test_client()
    login(operator, world.operator_a)
    page = operator.get("/account/notifications").get_data(as_text=True)
    assert "Your coordinator&#39;s decisions" in page and "Reminders" in page
    assert "Known-exploited flaws in what you run" in page
    assert "New submissions" not in page
    bad = post_form(
        operator, "/account/notifications", {"decisions": "sometimes", "reminders": "on"}
    )
    assert bad.status_code == 400
    good = post_form(
        operator,
        "/account/notifications",
        {"decisions": "on", "exploited": "on", "reminders": "off"},
    )
    assert good.status_code == 302
    account = operator.get("/account/").get_data(as_text=True)
    assert "Reminders: do not send them" in account


def test_reminders_go_once_per_event_however_often_the_command_runs(
    app: Flask, world: World, mail_server: SmtpServer, runner: Any
) -> None:
    submitted = submit_assessment(app, world)  # tells coordinator X (1 message)
    mail_server.wait_for(1)
    with app.app_context():
        # Submitted 25 days ago: the 30-day window ends in 5 days.
        db.session.execute(
            sa.update(Assessment)
            .where(Assessment.id == submitted)
            .values(submitted_at=utcnow() - timedelta(days=25))
        )
        db.session.commit()
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert "1 plan window" in first.output
    window = mail_server.wait_for(2)[1]
    assert window.envelope_to == [world.operator_a]
    assert re.fullmatch(r"\d+ plan actions? due by \w+ \d+", window.message["Subject"])
    assert re.search(r"^- .+", window.text, re.M)
    with app.app_context():  # a year later: accepted long ago, time to re-assess
        db.session.execute(
            sa.update(Assessment)
            .where(Assessment.id == submitted)
            .values(status=AssessmentStatus.ACCEPTED, submitted_at=utcnow() - timedelta(days=400))
        )
        db.session.commit()
    second = runner.invoke(args=["reminders", "send"])
    assert "1 re-assessment" in second.output
    third = runner.invoke(args=["reminders", "send"])
    assert "0 idle draft, 0 re-assessment, 0 plan window" in third.output
    # An idle draft: the operator starts one and leaves it for 15 days.
    operator = app.test_client()
    login(operator, world.operator_a)
    close(post_form(operator, "/assessments/start", {}, page="/assessments/"))
    with app.app_context():
        db.session.execute(
            sa.update(Assessment)
            .where(Assessment.status == AssessmentStatus.DRAFT)
            .values(updated_at=utcnow() - timedelta(days=15))
        )
        db.session.commit()
    fourth = runner.invoke(args=["reminders", "send"])
    assert "1 idle draft, 0 re-assessment" in fourth.output  # the draft speaks for re-assessing
    assert "0 idle draft" in runner.invoke(args=["reminders", "send"]).output
    kinds = [m.message["Subject"] for m in mail_server.wait_for(4)]
    assert kinds[1:] == [
        window.message["Subject"],
        "Time to re-assess your cyber readiness",
        "Your cyber readiness assessment is waiting for you",
    ]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 4


def test_the_plan_deadlines_download_as_a_calendar(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    results = operator.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert f"/assessments/{assessment_id}/plan.ics" in results
    response = operator.get(f"/assessments/{assessment_id}/plan.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert 1 <= len(events) <= 4
    # This week's steps first, as in the plan, each named.
    assert str(events[0]["SUMMARY"]).endswith("for this week")
    with app.app_context():
        submitted = db.session.get(Assessment, assessment_id)
        assert submitted is not None and submitted.submitted_at is not None
        # The day of submission on the organization's own clock (org A is in Ohio).
        start = submitted.submitted_at.astimezone(ZoneInfo("America/New_York")).date()
    for event in events:
        window = calendar_window_of(event)
        assert event.decoded("DTSTART") == start + timedelta(days=window)
        assert list(event.walk("VALARM"))
        assert f"/assessments/{assessment_id}/results" in str(event["DESCRIPTION"])
    other = app.test_client()
    login(other, world.operator_b)
    assert other.get(f"/assessments/{assessment_id}/plan.ics").status_code == 404
    assert csrf_token(results)
