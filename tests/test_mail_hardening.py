"""Mail that cannot be turned against people (issue #26), each case tried as an attacker or an
unlucky person would, against a real SMTP server on loopback: invitations that cannot relay
spam, no account lookup, no secret at rest in the outbox, digests that honour "stop", resets
limited per account apart from per address, refused invitations shown, expired-in-queue links
never delivered dead, messages people can answer, unsubscribe links that age and die with the
account's state."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import throttle
from portal.extensions import db
from portal.mail import notices, outbox, preferences
from portal.mail.compose import SECRET_MARK
from portal.models import (
    AccountToken,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    DigestItem,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    User,
    hash_token,
    utcnow,
)
from tests.factories import PASSWORD, REGISTRATION, World, submit_assessment
from tests.smtp import SmtpServer
from tests.web import calendar_window_of, csrf_token, login, post_form

NEW_PASSWORD = "a new password nobody guesses"
# Every page a secret link can open, as it appears in a message.
SECRET_PATHS = re.compile(
    r"/(?:invitations|password/reset|password/set|email/confirm|email/change)/([A-Za-z0-9_\-]+)"
)


def send(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    response = post_form(client, url, data, **kwargs)
    response.close()
    outbox.wait_for_deliveries()
    return response


def confirm(app: Flask, email: str) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == email).values(email_confirmed_at=utcnow())
        )
        db.session.commit()


def outbox_rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in found:
            db.session.expunge(row)
        return found


def live_secret(app: Flask, secret: str) -> bool:
    """Does ``secret`` open anything: a live account token or invitation?"""
    with app.app_context():
        now = utcnow()
        token = db.session.scalar(
            sa.select(AccountToken).where(AccountToken.token_hash == hash_token(secret))
        )
        if token is not None and token.used_at is None and token.expires_at > now:
            return True
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.token_hash == hash_token(secret))
        )
        return invitation is not None and invitation.is_usable(now)


def link_in(text: str, path: str) -> str:
    match = re.search(r"http://localhost(" + re.escape(path) + r"[A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def invite(client: FlaskClient, email: str) -> Any:
    return send(client, "/organization/invitations", {"email": email}, page="/organization/")


# --- invitations cannot relay spam or phishing -------------------------------------------------


def test_an_unconfirmed_account_cannot_make_the_portal_write_to_anyone(
    app: Flask, mail_server: SmtpServer
) -> None:
    attacker = app.test_client()
    send(attacker, "/register", REGISTRATION | {"email": "spammer@bad.example"})
    mail_server.wait_for(1)  # their own confirmation link
    # Even signed in (an account from before confirmation was asked for sign-in), no invitation.
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "spammer@bad.example"))
        assert user is not None and user.email_confirmed_at is None
    app.config["MAIL_BACKEND"] = "dummy"  # sign in as mail-off portals allow
    login(attacker, "spammer@bad.example")
    app.config["MAIL_BACKEND"] = "smtp"
    refused = invite(attacker, "victim@elsewhere.example")
    assert refused.status_code == 200
    assert "Confirm your own email address first" in refused.get_data(as_text=True)
    mail_server.wait_for(2, seconds=0.5)
    assert mail_server.to("victim@elsewhere.example") == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_invitations_are_limited_per_person_organization_and_recipient(
    app: Flask, world: World, mail_server: SmtpServer, with_redis: Any
) -> None:
    """In Redis (with_redis): the limits hold across every app process."""
    confirm(app, world.operator_a)
    client = app.test_client()
    login(client, world.operator_a)
    limits = throttle.INVITATIONS.limits
    # One recipient: at most `recipient` invitations a day, however they are spread.
    statuses = [invite(client, "target@elsewhere.example").status_code for _ in range(5)]
    assert statuses == [302] * limits["recipient"] + [429] * (5 - limits["recipient"])
    # One person: at most `person` a day in all.
    more = [
        invite(client, f"colleague{n}@alpha.example.org").status_code
        for n in range(limits["person"])
    ]
    assert more.count(302) == limits["person"] - limits["recipient"]
    assert more[-1] == 429
    refused = invite(client, "one.more@alpha.example.org")
    assert refused.status_code == 429
    assert "as many invitations as we send in a day" in refused.get_data(as_text=True)
    with app.app_context():  # with Redis, mail goes to the job queue: send it here instead
        outbox.deliver()
    # Inviting an address again replaces its earlier link: only the last of the three is sent.
    expected = limits["person"] - limits["recipient"] + 1
    delivered = mail_server.wait_for(expected)
    assert len(delivered) == expected
    assert len(mail_server.to("target@elsewhere.example")) == 1
    with app.app_context():
        refusals = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "invitation.throttled")
        ).all()
        assert {e.details["limit"] for e in refusals} == {"recipient", "person"}


def test_invitation_limits_hold_in_the_database_too(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    confirm(app, world.operator_a)
    client = app.test_client()
    login(client, world.operator_a)
    limit = throttle.INVITATIONS.limits["recipient"]
    statuses = [invite(client, "target@elsewhere.example").status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429 and statuses[:-1] == [302] * limit


def test_names_people_typed_reach_nobody_as_links_and_the_inviter_is_named_by_address(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    from portal.models import Organization

    with app.app_context():  # what a phisher would type as their names (the forms allow it)
        db.session.execute(
            sa.update(Organization)
            .where(Organization.id == world.org_a)
            .values(name="Urgent: your mailbox is full, log in at http://evil.example/login " * 3)
        )
        db.session.execute(
            sa.update(User)
            .where(User.email == world.operator_a)
            .values(full_name="IT Desk www.evil.example", email_confirmed_at=utcnow())
        )
        db.session.commit()
    client = app.test_client()
    login(client, world.operator_a)
    invite(client, "victim@elsewhere.example")
    (message,) = mail_server.wait_for(1)
    for text in (message.text, message.html, message.message["Subject"]):
        assert "http://evil.example" not in text and "www.evil.example" not in text
    assert "hxxp[:]//evil[.]example" in message.text
    assert "www[.]evil[.]example" in message.text
    # The typed names are cut short; the inviter's confirmed address is there to judge.
    assert len(message.message["Subject"]) < 110
    assert "…" in message.message["Subject"]
    assert f"({world.operator_a})" in message.text
    # The only links in the message are the portal's own.
    for url in re.findall(r"https?://[^\s\"'<>]+", message.text + message.html):
        assert url.startswith("http://localhost"), url


# --- no account lookup --------------------------------------------------------------------------


def test_inviting_an_address_that_has_an_account_answers_like_any_other(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    confirm(app, world.operator_a)
    client = app.test_client()
    login(client, world.operator_a)
    answers = []
    for email in (world.admin, "nobody.yet@alpha.example.org"):
        response = invite(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        flash = re.search(r"We are sending an invitation to [^<]+", page)
        assert flash, page
        answers.append((response.status_code, flash.group(0).replace(email, "X")))
    assert answers[0] == answers[1]
    page = client.get("/organization/").get_data(as_text=True)
    assert world.admin in page and "nobody.yet@alpha.example.org" in page  # both pending
    messages = mail_server.wait_for(2)
    to_admin = next(m for m in messages if m.envelope_to == [world.admin])
    assert "already have an account" in to_admin.text
    assert "/invitations/" not in to_admin.text  # no link: nothing to accept


# --- no secret links at rest --------------------------------------------------------------------


def every_kind_of_secret_message(app: Flask, world: World) -> None:
    """Reset, registration confirmation, address change, invitation, coordinator welcome."""
    send(app.test_client(), "/password/forgot", {"email": world.operator_b})
    send(app.test_client(), "/register", REGISTRATION)
    owner = app.test_client()
    login(owner, world.operator_a)
    send(
        owner,
        "/account/email",
        {"email": "pat@new.example.org", "current": PASSWORD},
        page="/account/email",
    )
    confirm(app, world.operator_a)
    invite(owner, "colleague@alpha.example.org")
    admin = app.test_client()
    login(admin, world.admin)
    with app.app_context():
        from portal.models import Jurisdiction

        jurisdiction_id = db.session.scalar(sa.select(Jurisdiction.id).limit(1))
    send(
        admin,
        "/admin/coordinators/new",
        {
            "full_name": "Nora New",
            "email": "nora@state.example.gov",
            "password": "",
            "jurisdictions": [str(jurisdiction_id)],
        },
    )


def test_no_row_of_the_outbox_opens_anything_before_or_after_delivery(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.stop()  # first, as queued (an outage holds them)
    every_kind_of_secret_message(app, world)
    kinds = {r.kind for r in outbox_rows(app)}
    assert {
        "password_reset",
        "confirm_email",
        "email_change_confirm",
        "invitation",
        "coordinator_welcome",
    } <= kinds

    def scan() -> None:
        for row in outbox_rows(app):
            for body in (row.body_text, row.body_html):
                for secret in SECRET_PATHS.findall(body):
                    assert secret == SECRET_MARK, (row.kind, secret)
                    assert not live_secret(app, secret)

    scan()
    mail_server.start()
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        outbox.deliver()
    received = mail_server.wait_for(6)
    assert {r.status for r in outbox_rows(app)} == {OutboxStatus.SENT}
    scan()  # after delivery too: what was sent is not kept
    # ...and each delivered link works: the secret was made as it was sent.
    delivered = [s for m in received for s in SECRET_PATHS.findall(m.text)]
    assert len(delivered) == 5
    assert all(live_secret(app, s) for s in delivered)


def test_a_link_replaced_while_it_waited_is_not_sent(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.stop()
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    mail_server.start()
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        counts = outbox.deliver()
    assert counts["sent"] == 1 and counts["withdrawn"] == 1
    (message,) = mail_server.wait_for(1)
    assert live_secret(app, link_in(message.text, "/password/reset/").rsplit("/", 1)[1])
    statuses = [r.status for r in outbox_rows(app)]
    assert statuses == [OutboxStatus.WITHDRAWN, OutboxStatus.SENT]


def test_a_reset_held_in_the_outbox_past_its_hour_arrives_with_a_fresh_hour(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.stop()
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    with app.app_context():  # an outage of three hours (the password is older still)
        db.session.execute(
            sa.update(User).values(password_changed_at=utcnow() - timedelta(days=30))
        )
        db.session.execute(
            sa.update(AccountToken).values(
                created_at=utcnow() - timedelta(hours=3),
                expires_at=utcnow() - timedelta(hours=2),
            )
        )
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    mail_server.start()
    with app.app_context():
        outbox.deliver()
    (message,) = mail_server.wait_for(1)
    assert "works once and for 1 hour" in message.text
    url = link_in(message.text, "/password/reset/")
    client = app.test_client()
    page = client.get(url)
    assert page.status_code == 200
    done = client.post(
        url,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert done.status_code == 302
    with app.app_context():
        token = db.session.scalar(sa.select(AccountToken))
        assert token is not None and token.used_at is not None


# --- "stop these messages" means stop -----------------------------------------------------------


def test_a_coordinator_who_stopped_the_digest_gets_none(
    app: Flask, world: World, mail_server: SmtpServer, runner: Any
) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    post_form(coordinator, "/account/notifications", {"submissions": "daily"})
    submit_assessment(app, world)  # kept for tomorrow's digest
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DigestItem.id))) == 1
    # The digest's own one-click link, as a mail client would post it.
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        assert user is not None
        url = preferences.unsubscribe_url(user, "submissions").removeprefix("http://localhost")
        db.session.commit()
    assert app.test_client().post(url).status_code == 200
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "0 digest" in result.output
    assert mail_server.wait_for(1, seconds=0.5) == []
    with app.app_context():
        item = db.session.scalar(sa.select(DigestItem))
        assert item is not None and item.digested_at is not None  # done, not kept forever


def test_every_optional_notice_passes_the_one_check_of_preferences(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    from portal.mail.compose import Message

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        preferences.choose(user, "reminders", "off")
        message = Message(kind="x", to=user.email, subject="s", greeting="g", topic="reminders")
        assert outbox.queue(message, user_id=user.id) is None
        assert outbox.queue_many([(message, user.id, None)]) == 0
        message.topic = None  # a security message goes whatever the choice
        assert outbox.queue(message, user_id=user.id) is not None
        db.session.rollback()


# --- unsubscribe links: no user id, an age, and the account's state -----------------------------


def test_unsubscribe_links_name_nobody_expire_and_die_with_a_password_change(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import json
    import zlib

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        url = preferences.unsubscribe_url(user, "reminders").removeprefix("http://localhost")
        user_id = user.id
        db.session.commit()
    token = url.rsplit("/", 1)[1]
    # itsdangerous compresses a payload (and marks it with a leading ".") when that is shorter:
    # it depends on the random part, so read both forms.
    compressed = token.startswith(".")
    payload = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = json.loads(zlib.decompress(raw) if compressed else raw)
    assert set(data) == {"k", "t", "s"} and data["k"] != user_id and str(user_id) != data["k"]
    client = app.test_client()
    assert client.get(url).status_code == 200
    # After a password change the link opens nothing.
    owner = app.test_client()
    login(owner, world.operator_a)
    changed = post_form(
        owner,
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert client.get(url).status_code == 404
    # A new link works, until it is too old.
    with app.test_request_context():
        user = db.session.get(User, user_id)
        assert user is not None
        fresh = preferences.unsubscribe_url(user, "reminders").removeprefix("http://localhost")
    assert client.get(fresh).status_code == 200
    monkeypatch.setattr(preferences, "UNSUBSCRIBE_LINK_AGE", timedelta(seconds=-1))
    assert client.get(fresh).status_code == 404


# --- resets: the account's limit apart from the address's ---------------------------------------


def test_a_whole_office_behind_one_address_still_gets_its_resets(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    """Ten colleagues behind one NAT each ask once, then one of them many times: every
    colleague gets a link; the one asking over and over gets three, and admins see why."""
    with app.app_context():
        from portal.auth.passwords import hash_password

        for n in range(10):
            db.session.add(
                User(
                    email=f"staff{n}@alpha.example.org",
                    full_name=f"Staff {n}",
                    password_hash=hash_password(PASSWORD),
                    role="operator",
                    organization_id=world.org_a,
                )
            )
        db.session.commit()
    for n in range(10):
        send(app.test_client(), "/password/forgot", {"email": f"staff{n}@alpha.example.org"})
    for _ in range(5):
        send(app.test_client(), "/password/forgot", {"email": "staff0@alpha.example.org"})
    received = mail_server.wait_for(12)
    assert {m.envelope_to[0] for m in received} == {
        f"staff{n}@alpha.example.org" for n in range(10)
    }
    assert len(mail_server.to("staff0@alpha.example.org")) == throttle.PASSWORD_RESET.per_account
    with app.app_context():
        refused = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.reset_throttled")
        ).all()
    assert len(refused) == 5 - (throttle.PASSWORD_RESET.per_account - 1)
    assert {e.details["limit"] for e in refused} == {"account"}
    assert all(e.object_type == "User" and e.object_id for e in refused)


# --- undeliverable invitations are visible ------------------------------------------------------


def test_an_invitation_the_server_refuses_shows_to_its_inviter(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.handler.refuse.add("typo@alpha.example.org")
    confirm(app, world.operator_a)
    client = app.test_client()
    login(client, world.operator_a)
    invite(client, "typo@alpha.example.org")
    page = client.get("/organization/").get_data(as_text=True)
    assert "Not delivered" in page and "550" in page
    # And the inviter is told by mail (sent by the next delivery run).
    with app.app_context():
        outbox.deliver()
    (notice,) = mail_server.wait_for(1)
    assert notice.envelope_to == [world.operator_a]
    assert "typo@alpha.example.org could not be delivered" in notice.text


# --- messages people can answer ----------------------------------------------------------------


def test_decisions_can_be_answered_and_say_who_decided(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    app.config["MAIL_REPLY_TO"] = "help@state.example.gov"
    try:
        assessment_id = submit_assessment(app, world)
        (submitted,) = mail_server.wait_for(1)
        assert submitted.message["Reply-To"] == "help@state.example.gov"
        assert "not read" not in submitted.text
        coordinator = app.test_client()
        login(coordinator, world.coordinator_x)
        page = f"/review/assessments/{assessment_id}"
        send(coordinator, f"{page}/return", {"message": "Please fix one thing."}, page=page)
        returned = mail_server.wait_for(2)[1]
        assert returned.message["Reply-To"] == world.coordinator_x
        assert "A reply reaches Xena Coord" in returned.text
        # Message-IDs name the sending domain, not the machine.
        assert returned.message["Message-ID"].endswith("@state.example.gov>")
        # Plain text wrapped for reading; no "(s)".
        assert all(len(line) <= 78 or "http" in line for line in returned.text.splitlines())
        assert "(s)" not in returned.text and "(s)" not in submitted.text
    finally:
        app.config["MAIL_REPLY_TO"] = ""


def test_without_a_reply_address_messages_say_not_to_reply(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    (message,) = mail_server.wait_for(1)
    assert message.message["Reply-To"] is None
    assert "Replies to this message are not read" in message.text


def test_a_resubmission_says_it_is_one(app: Flask, world: World, mail_server: SmtpServer) -> None:
    assessment_id = submit_assessment(app, world)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        assessment.status = AssessmentStatus.RETURNED
        db.session.commit()
    operator = app.test_client()
    login(operator, world.operator_a)
    send(
        operator,
        f"/assessments/{assessment_id}/submit",
        {},
        page=f"/assessments/{assessment_id}/review",
    )
    messages = mail_server.wait_for(2)
    assert "resubmitted" in messages[-1].message["Subject"]
    assert "what changed since you returned it" in messages[-1].text


# --- registration answers the same either way --------------------------------------------------


def test_registering_with_a_taken_address_answers_as_a_new_one_and_tells_the_owner(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    taken = send(
        app.test_client(),
        "/register",
        REGISTRATION | {"email": world.operator_a, "organization_name": "Somewhere New"},
    )
    fresh = send(app.test_client(), "/register", REGISTRATION)
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    messages = mail_server.wait_for(2)
    to_owner = next(m for m in messages if m.envelope_to == [world.operator_a])
    assert "tried to register" in to_owner.message["Subject"]
    with app.app_context():
        names = set(
            db.session.scalars(sa.select(sa.text("name")).select_from(sa.text("organizations")))
        )
    assert "Somewhere New" not in names


# --- odd ends found by the outside-in run ---------------------------------------------------------


def test_the_audit_logs_older_pages_open(app: Flask, world: World) -> None:
    from portal import audit

    with app.test_request_context():
        for n in range(230):
            audit.record("test.event", object_type="Thing", object_id=n)
        db.session.commit()
    admin = app.test_client()
    login(admin, world.admin)
    page = admin.get("/admin/audit?action=test.").get_data(as_text=True)
    for _ in range(2):  # the second page and the third: "before" is replaced, not repeated
        older = re.search(r'href="(/admin/audit\?[^"]+)">Older events', page)
        assert older, page
        response = admin.get(older.group(1).replace("&amp;", "&"))
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert older.group(1).count("before=") == 1


def test_csv_cells_split_by_a_spreadsheet_start_no_formula() -> None:
    from portal.exports.spreadsheet import to_csv

    text = to_csv(["a"], [['x;=HYPERLINK("http://evil.example")'], ["=1+1"], ["a, -b|@c"]])
    cells = [c for line in text.splitlines()[1:] for c in re.split(r"[;,|]", line.strip('"'))]
    assert not [c for c in cells if c.strip().startswith(("=", "+", "-", "@"))], cells


def test_notifying_acts_on_the_form_not_on_the_address(app: Flask, world: World) -> None:
    from portal.review import exploited

    with app.test_request_context("/review/exposure/notify?product=kev:a|b", method="POST"):
        assert exploited._product() is None  # a product only in the query string is not read


def test_invitation_message_names_nothing_but_the_typed_words_cut_short() -> None:
    from portal.mail.compose import typed

    assert typed("St. Mary's Hospital") == "St. Mary's Hospital"
    assert typed("Go to evil.example/x now") == "Go to evil[.]example/x now"
    assert typed("https://evil.example") == "hxxps[:]//evil[.]example"
    assert len(typed("A" * 500, 60)) == 60


def test_notices_use_plurals(app: Flask, world: World, mail_server: SmtpServer) -> None:
    assessment_id = submit_assessment(app, world)
    (message,) = mail_server.wait_for(1)
    assert "critical gap(s)" not in message.text
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        count = assessment.critical_gap_count or 0
    assert f"{count} critical gap{'' if count == 1 else 's'}" in message.text
    assert notices  # (the module composing it)


# --- the plan's calendar --------------------------------------------------------------------------


def test_calendar_dates_are_the_organizations_own_days_and_move_with_a_sequence(
    app: Flask, world: World
) -> None:
    from datetime import UTC, date, datetime

    from icalendar import Calendar

    assessment_id = submit_assessment(app, world)
    # Submitted at 9:30 pm in Ohio on Dec 2 — already Dec 3 in UTC.
    evening = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
    with app.app_context():
        db.session.execute(
            sa.update(Assessment).where(Assessment.id == assessment_id).values(submitted_at=evening)
        )
        db.session.commit()
    operator = app.test_client()
    login(operator, world.operator_a)

    def events() -> list[Any]:
        response = operator.get(f"/assessments/{assessment_id}/plan.ics")
        assert response.status_code == 200
        return list(Calendar.from_ical(response.data).walk("VEVENT"))

    first = events()
    assert first
    for event in first:
        window = calendar_window_of(event)
        assert event.decoded("DTSTART") == date(2026, 12, 2) + timedelta(days=window)
        assert str(event["UID"]).endswith("@localhost")  # the deployment's own domain
        assert int(event["SEQUENCE"]) == 0
    # Returned and submitted again: the same events, moved, with a higher sequence.
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        assessment.status = AssessmentStatus.RETURNED
        db.session.commit()
    post_form(
        operator,
        f"/assessments/{assessment_id}/submit",
        {},
        page=f"/assessments/{assessment_id}/review",
    )
    second = events()
    # Same UIDs (the calendar moves its events instead of adding new ones).
    assert {str(e["UID"]) for e in second} & {str(e["UID"]) for e in first}
    assert all(int(e["SEQUENCE"]) == 1 for e in second)
    assert all(e.decoded("DTSTART") > date(2026, 12, 2) for e in second)


# --- found by the second reader ---------------------------------------------------------------


def test_a_notice_waiting_when_its_person_says_stop_is_not_sent(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.stop()
    assessment_id = submit_assessment(app, world)  # the coordinator's notice waits (outage)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    post_form(coordinator, "/account/notifications", {"submissions": "off"})
    mail_server.start()
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        counts = outbox.deliver()
    assert counts["withdrawn"] == 1 and counts["sent"] == 0, assessment_id
    assert mail_server.wait_for(1, seconds=0.5) == []


def test_a_link_is_placed_even_if_the_base_address_changed_while_it_waited(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.stop()
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    app.config["PORTAL_BASE_URL"] = "https://readiness.example.test"
    try:
        mail_server.start()
        with app.app_context():
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
            db.session.commit()
            outbox.deliver()
        (message,) = mail_server.wait_for(1)
        assert SECRET_MARK not in message.text and SECRET_MARK not in message.html
        assert "https://readiness.example.test/password/reset/" in message.text
    finally:
        app.config["PORTAL_BASE_URL"] = "http://localhost"


def test_nobody_elsewhere_can_use_up_an_organizations_invitations_to_a_colleague(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    confirm(app, world.operator_a)
    confirm(app, world.operator_b)
    other = app.test_client()
    login(other, world.operator_b)
    for _ in range(throttle.INVITATIONS.limits["recipient"] + 1):
        invite(other, "colleague@alpha.example.org")
    own = app.test_client()
    login(own, world.operator_a)
    assert invite(own, "colleague@alpha.example.org").status_code == 302


def test_unsubscribe_links_of_messages_sent_before_the_upgrade_still_stop_for_a_while(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from itsdangerous import URLSafeSerializer

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        old = URLSafeSerializer(app.config["SECRET_KEY"], salt="unsubscribe").dumps(
            {"u": user.id, "t": "reminders"}
        )
    assert app.test_client().post(f"/unsubscribe/{old}").status_code == 200
    monkeypatch.setattr(preferences, "LEGACY_LINKS_UNTIL", date(2000, 1, 1))
    assert app.test_client().post(f"/unsubscribe/{old}").status_code == 404


def test_render_folders_left_by_a_killed_server_are_swept(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import tempfile
    import time

    from portal.reports import pdf

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"{pdf.FOLDER_PREFIX}stale"
    fresh = tmp_path / f"{pdf.FOLDER_PREFIX}fresh"
    stale.mkdir()
    fresh.mkdir()
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert pdf.sweep_stale_folders() == 1
    assert not stale.exists() and fresh.exists()


def test_registration_answers_in_the_same_time_for_taken_and_new_addresses(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    import time

    from portal.auth.routes import REGISTER_ANSWER_SECONDS

    app.config["REGISTER_ANSWER_SECONDS"] = REGISTER_ANSWER_SECONDS  # as in production
    timings = {}
    try:
        for email, name in (
            (world.operator_a, "Somewhere One"),
            ("new@x.example", "Somewhere Two"),
        ):
            client = app.test_client()
            html = client.get("/register").get_data(as_text=True)
            data = REGISTRATION | {"email": email, "organization_name": name}
            started = time.perf_counter()
            client.post("/register", data={**data, "csrf_token": csrf_token(html)}).close()
            timings[email] = time.perf_counter() - started
    finally:
        app.config["REGISTER_ANSWER_SECONDS"] = 0.0
    assert all(t >= REGISTER_ANSWER_SECONDS for t in timings.values()), timings
    assert abs(timings[world.operator_a] - timings["new@x.example"]) < 0.1, timings
