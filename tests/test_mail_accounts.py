"""Mail about accounts, read from a real SMTP server on loopback: password reset, confirming an
address, changing it, invitations, a coordinator's welcome; and the bad input around them
(expired, reused, tampered links; header injection; enumeration; throttling)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import throttle
from portal.extensions import db
from portal.mail import outbox
from portal.models import AccountToken, AuditEvent, OutboxMessage, User, UserSession, utcnow
from tests.factories import PASSWORD, REGISTRATION, World
from tests.smtp import SmtpServer
from tests.web import csrf_token, login, post_form

NEW_PASSWORD = "a new password nobody guesses"


def send(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Post a form like post_form, and close the response: mail queued by the request goes
    out once its response is finished, as after a real response."""
    response = post_form(client, url, data, **kwargs)
    response.close()
    outbox.wait_for_deliveries()
    return response


def link_in(text: str, path: str) -> str:
    match = re.search(r"http://localhost(" + re.escape(path) + r"[A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def confirmed(app: Flask, email: str) -> None:
    """As if the person had followed their confirmation link: with mail on, only a confirmed
    address may invite."""
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == email).values(email_confirmed_at=utcnow())
        )
        db.session.commit()


def user_named(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        db.session.expunge(user)
        return user


def test_forgot_password_to_a_new_password_and_signed_in(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    other_browser = app.test_client()
    assert login(other_browser, world.operator_a).status_code == 302
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Forgot your password?" in page
    # A poisoned Host header never reaches a link: links come from PORTAL_BASE_URL.
    poisoned = {"Host": "evil.example"}
    form_page = client.get("/password/forgot", headers=poisoned).get_data(as_text=True)
    response = client.post(
        "/password/forgot",
        data={"email": world.operator_a.upper(), "csrf_token": csrf_token(form_page)},
        headers=poisoned,
    )
    response.close()
    outbox.wait_for_deliveries()
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    (message,) = mail_server.wait_for(1)
    assert message.envelope_to == [world.operator_a]
    assert message.message["Subject"] == "Reset your Readiness Portal password"
    assert message.message["From"] == "Readiness Portal <portal@state.example.gov>"
    assert "List-Unsubscribe" not in message.message  # security messages cannot be switched off
    assert "evil.example" not in message.text + message.html
    url = link_in(message.text, "/password/reset/")
    assert url in message.html
    # The link, followed: choose a password, and be signed in.
    chooser = client.get(url)
    assert "Choose a new password" in chooser.get_data(as_text=True)
    done = client.post(
        url,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(chooser.get_data(as_text=True)),
        },
    )
    done.close()
    outbox.wait_for_deliveries()
    assert done.status_code == 302
    assert "Signed in as" in client.get("/").get_data(as_text=True)
    assert other_browser.get("/organization/").status_code == 302  # every other login ended
    assert login(app.test_client(), world.operator_a, PASSWORD).status_code == 200
    assert login(app.test_client(), world.operator_a, NEW_PASSWORD).status_code == 302
    # The owner is told, and the link is spent.
    changed = mail_server.wait_for(2)[1]
    assert changed.message["Subject"] == "Your Readiness Portal password was changed"
    again = client.get(url)
    assert again.status_code == 404
    assert "This link does not work" in again.get_data(as_text=True)
    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"auth.reset_requested", "auth.password_reset"} <= actions


def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    known = send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    unknown = send(app.test_client(), "/password/forgot", {"email": "nobody@nowhere.example"})

    def words(response: Any, email: str) -> str:
        html = response.get_data(as_text=True).replace(email, "EMAIL")
        return re.sub(r'name="csrf-token" content="[^"]+"|value="[^"]+"', "", html)

    assert known.status_code == unknown.status_code == 200
    assert words(known, world.operator_a) == words(unknown, "nobody@nowhere.example")
    assert len(mail_server.wait_for(1)) == 1
    assert mail_server.received[0].envelope_to == [world.operator_a]


def test_a_burst_of_reset_requests_is_throttled_without_saying_so(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    for _ in range(throttle.PASSWORD_RESET.per_account + 3):
        response = send(app.test_client(), "/password/forgot", {"email": world.operator_a})
        assert response.status_code == 200
        assert "Check your email" in response.get_data(as_text=True)
    mail_server.wait_for(throttle.PASSWORD_RESET.per_account + 1, seconds=2)
    assert len(mail_server.received) == throttle.PASSWORD_RESET.per_account
    # A newer link replaces the older ones: only the last one works.
    urls = [link_in(m.text, "/password/reset/") for m in mail_server.received]
    client = app.test_client()
    assert [client.get(u).status_code for u in urls] == [404] * (len(urls) - 1) + [200]


def test_expired_used_tampered_or_voided_links_change_nothing(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    url = link_in(mail_server.wait_for(1)[0].text, "/password/reset/")
    client = app.test_client()
    assert client.get(url[:-3] + "AAA").status_code == 404  # tampered
    assert client.get("/password/reset/" + "x" * 5000).status_code == 404
    with app.app_context():  # an hour and a minute later
        db.session.execute(
            sa.update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.get(url).status_code == 404
    # A new link, voided by a password change made another way.
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    url = link_in(mail_server.wait_for(2)[1].text, "/password/reset/")
    signed_in = app.test_client()
    login(signed_in, world.operator_a)
    send(
        signed_in,
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert client.get(url).status_code == 404
    # And for a deactivated account, a fresh link does nothing either.
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    url = link_in(mail_server.wait_for(4)[-1].text, "/password/reset/")
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == world.operator_a).values(is_active=False)
        )
        db.session.commit()
    page = client.get(url)
    assert page.status_code == 404
    token = csrf_token(client.get("/login").get_data(as_text=True))
    posted = client.post(url, data={"password": "x" * 20, "confirm": "x" * 20, "csrf_token": token})
    assert posted.status_code == 404
    assert login(app.test_client(), world.operator_a, NEW_PASSWORD).status_code == 200


def test_registration_asks_to_confirm_the_address_until_it_is(
    app: Flask, mail_server: SmtpServer
) -> None:
    client = app.test_client()
    assert send(client, "/register", REGISTRATION).status_code == 302
    # Until the address is confirmed, signing in answers as a wrong password does (else
    # registering with someone's address and signing in would tell who has an account).
    refused = login(client, REGISTRATION["email"])
    assert refused.status_code == 200
    assert "follow the link we emailed you" in refused.get_data(as_text=True)
    (message,) = mail_server.wait_for(1)
    assert message.message["Subject"] == "Confirm your email address for the Readiness Portal"
    url = link_in(message.text, "/email/confirm/")
    page = client.get(url)  # a link alone confirms nothing (mail scanners follow links)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == REGISTRATION["email"]))
        assert user is not None and user.email_confirmed_at is None
    confirmed = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/login"
    assert login(client, REGISTRATION["email"]).status_code == 302
    assert "Please confirm your email address" not in client.get("/").get_data(as_text=True)
    assert client.get(url).status_code == 404  # used


def test_an_address_change_is_confirmed_from_the_new_address_and_told_to_the_old(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    client = app.test_client()
    login(client, world.operator_a)
    other = app.test_client()
    login(other, world.operator_a)
    wrong = post_form(
        client, "/account/email", {"email": "pat@new.example.org", "current": "not it"}
    )
    assert wrong.status_code == 400
    taken = post_form(client, "/account/email", {"email": world.operator_b, "current": PASSWORD})
    assert "Another account uses this address" in taken.get_data(as_text=True)
    asked = send(client, "/account/email", {"email": "pat@new.example.org", "current": PASSWORD})
    assert asked.status_code == 302
    to_new, to_old = mail_server.wait_for(2)
    assert to_new.envelope_to == ["pat@new.example.org"]
    assert to_old.envelope_to == [world.operator_a]
    assert "pat@new.example.org" in to_old.text
    url = link_in(to_new.text, "/email/change/")
    page = client.get(url)
    done = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    done.close()
    outbox.wait_for_deliveries()
    assert done.status_code == 302
    assert user_named(app, "pat@new.example.org").email_confirmed_at is not None
    notices = mail_server.wait_for(4)[2:]
    assert sorted(m.envelope_to[0] for m in notices) == sorted(
        [world.operator_a, "pat@new.example.org"]
    )
    assert other.get("/organization/").status_code == 302  # other logins ended
    assert login(app.test_client(), "pat@new.example.org").status_code == 302


def test_an_invitation_is_mailed_and_works_and_is_not_shown_on_screen(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    confirmed(app, world.operator_a)
    inviter = app.test_client()
    login(inviter, world.operator_a)
    response = send(
        inviter,
        "/organization/invitations",
        {"email": "new.colleague@alpha.example.org"},
        page="/organization/",
    )
    assert response.status_code == 302
    page = inviter.get("/organization/").get_data(as_text=True)
    assert "We are sending an invitation to new.colleague@alpha.example.org" in page
    assert "/invitations/" not in page.replace("/organization/invitations", "")
    (message,) = mail_server.wait_for(1)
    assert "Alpha Hospital SENTINEL-A" in message.message["Subject"]
    url = link_in(message.text, "/invitations/")
    joiner = app.test_client()
    form = joiner.get(url).get_data(as_text=True)
    joined = joiner.post(
        url,
        data={
            "full_name": "New Colleague",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(form),
        },
    )
    assert joined.status_code == 302
    assert user_named(app, "new.colleague@alpha.example.org").email_confirmed_at is not None


def test_a_new_coordinator_chooses_a_password_from_the_welcome(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    admin = app.test_client()
    login(admin, world.admin)
    with app.app_context():
        from portal.models import Jurisdiction

        jurisdiction_id = db.session.scalar(sa.select(Jurisdiction.id).limit(1))
    response = send(
        admin,
        "/admin/coordinators/new",
        {
            "full_name": "Nora New",
            "email": "nora@state.example.gov",
            "password": "",
            "jurisdictions": [str(jurisdiction_id)],
        },
    )
    assert response.status_code == 302
    (message,) = mail_server.wait_for(1)
    assert message.envelope_to == ["nora@state.example.gov"]
    url = link_in(message.text, "/password/set/")
    client = app.test_client()
    page = client.get(url).get_data(as_text=True)
    assert "Choose your password" in page
    done = client.post(
        url,
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert done.status_code == 302
    assert client.get("/review/").status_code == 200


def test_names_cannot_inject_headers(app: Flask, world: World, mail_server: SmtpServer) -> None:
    with app.app_context():  # past the forms, which refuse control characters
        db.session.execute(
            sa.update(User)
            .where(User.email == world.operator_a)
            .values(full_name="Eve\r\nBcc: spy@evil.example\r\nX-Injected: yes")
        )
        db.session.commit()
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    (message,) = mail_server.wait_for(1)
    assert message.envelope_to == [world.operator_a]
    assert "Bcc" not in message.message and "X-Injected" not in message.message
    # One line, and the address in it defanged so no mail program makes it a link.
    assert "Hello Eve Bcc: spy[at]evil[.]example X-Injected: yes," in message.text


def test_no_row_outlives_a_rolled_back_change(app: Flask, world: World, mail_server: Any) -> None:
    from portal.mail import notices

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        notices.password_changed(user, by_reset=False)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
        notices.password_changed(user, by_reset=False)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1


def test_sessions_left_after_a_reset_are_this_browsers_only(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    for _ in range(2):
        login(app.test_client(), world.operator_a)
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    url = link_in(mail_server.wait_for(1)[0].text, "/password/reset/")
    client = app.test_client()
    page = client.get(url).get_data(as_text=True)
    send(client, url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=url)
    with app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count(UserSession.id)).where(UserSession.revoked_at.is_(None))
        )
    assert live == 1
    assert page


def test_coordinators_see_whether_an_operators_address_is_confirmed(
    app: Flask, world: World
) -> None:
    from tests.factories import submit_assessment

    assessment_id = submit_assessment(app, world)
    with app.app_context():  # an operator who has not confirmed their address yet
        db.session.execute(
            sa.update(User).where(User.email == world.operator_a).values(email_confirmed_at=None)
        )
        db.session.commit()
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = coordinator.get(f"/review/assessments/{assessment_id}").get_data(as_text=True)
    assert f"{world.operator_a}</a> · <strong>address not confirmed yet</strong>" in page
    with app.app_context():
        db.session.execute(sa.update(User).values(email_confirmed_at=utcnow()))
        db.session.commit()
    page = coordinator.get(f"/review/assessments/{assessment_id}").get_data(as_text=True)
    assert f"{world.operator_a}</a> · address confirmed" in page


# --- found in review ---------------------------------------------------------------------------


def test_a_password_reset_voids_an_intruders_email_change_link(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    """Someone who had the password asks to move the account to their own address; the owner
    resets the password (signing them out). Their link must not carry them back in."""
    intruder = app.test_client()
    login(intruder, world.operator_a)
    send(intruder, "/account/email", {"email": "intruder@evil.example", "current": PASSWORD})
    change_link = link_in(mail_server.wait_for(2)[0].text, "/email/change/")
    send(app.test_client(), "/password/forgot", {"email": world.operator_a})
    reset_link = link_in(mail_server.wait_for(3)[2].text, "/password/reset/")
    owner = app.test_client()
    page = owner.get(reset_link).get_data(as_text=True)
    send(owner, reset_link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=reset_link)
    assert intruder.get("/organization/").status_code == 302
    assert intruder.get(change_link).status_code == 404
    assert user_named(app, world.operator_a).email == world.operator_a
    assert page


def test_following_an_email_change_link_alone_signs_nobody_in(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    owner = app.test_client()
    login(owner, world.operator_a)
    send(owner, "/account/email", {"email": "pat@new.example.org", "current": PASSWORD})
    link = link_in(mail_server.wait_for(2)[0].text, "/email/change/")
    stranger = app.test_client()
    page = stranger.get(link).get_data(as_text=True)
    done = stranger.post(link, data={"csrf_token": csrf_token(page)})
    done.close()
    assert done.headers["Location"].startswith("/login")
    assert stranger.get("/organization/").status_code == 302  # not signed in
    assert owner.get("/organization/").status_code == 302  # every login ended
    assert user_named(app, "pat@new.example.org").email == "pat@new.example.org"


def test_confirmation_links_cannot_flood_an_inbox(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    client = app.test_client()  # a coordinator whose address is not confirmed yet
    login(client, world.coordinator_x)
    for _ in range(6):
        send(client, "/email/confirm", {})
    # The limit's worth of resends: wait for those (a loaded machine is slow to deliver), then
    # a moment more for any that should not have gone.
    expected = throttle.CONFIRMATION_MAIL.per_account
    mail_server.wait_for(expected, seconds=10)
    mail_server.wait_for(expected + 1, seconds=0.5)
    assert len(mail_server.to(world.coordinator_x)) == expected


def test_sending_the_link_again_returns_to_a_page_of_ours_only(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    client = app.test_client()
    login(client, world.operator_a)
    token = csrf_token(client.get("/").get_data(as_text=True))
    for referrer, expected in (
        ("https://evil.example/http://localhost/", "/"),
        ("http://localhost/assessments/", "/assessments/"),
        ("//evil.example/x", "/"),
    ):
        response = client.post(
            "/email/confirm", data={"csrf_token": token}, headers={"Referer": referrer}
        )
        response.close()
        assert response.headers["Location"] == expected, referrer


def test_with_mail_off_nothing_claims_a_link_was_sent(app: Flask) -> None:
    client = app.test_client()
    registered = post_form(client, "/register", REGISTRATION)
    assert registered.status_code == 302
    done = client.get(registered.headers["Location"]).get_data(as_text=True)
    assert "We also sent a message" not in done
    login(client, REGISTRATION["email"])
    home = client.get("/").get_data(as_text=True)
    assert "We sent a link" not in home and "Please confirm your email address" not in home
    resend = post_form(client, "/email/confirm", {}, page="/")
    assert "Mail is off on this portal" in client.get(resend.headers["Location"]).get_data(
        as_text=True
    )


def test_an_organization_name_cannot_inject_headers_into_an_invitation(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    from portal.models import Organization

    with app.app_context():  # past the forms, which refuse control characters
        db.session.execute(
            sa.update(Organization)
            .where(Organization.id == world.org_a)
            .values(name="Alpha\r\nBcc: spy@evil.example\r\nX-Injected: yes")
        )
        db.session.commit()
    confirmed(app, world.operator_a)
    inviter = app.test_client()
    login(inviter, world.operator_a)
    send(
        inviter,
        "/organization/invitations",
        {"email": "colleague@alpha.example.org"},
        page="/organization/",
    )
    (message,) = mail_server.wait_for(1)
    assert message.envelope_to == ["colleague@alpha.example.org"]
    assert "Bcc" not in message.message and "X-Injected" not in message.message
    assert "Alpha Bcc: spy[at]evil[.]example X-Injected: yes" in message.message["Subject"]


def test_the_reset_page_answers_in_the_same_time_for_real_and_unknown_addresses(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    import time

    from portal.auth.routes import RESET_ANSWER_SECONDS

    timings = {}
    app.config["RESET_ANSWER_SECONDS"] = RESET_ANSWER_SECONDS  # as in production
    try:
        for email in (world.operator_a, "nobody@nowhere.example"):
            client = app.test_client()
            token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
            started = time.perf_counter()
            client.post("/password/forgot", data={"email": email, "csrf_token": token}).close()
            timings[email] = time.perf_counter() - started
    finally:
        app.config["RESET_ANSWER_SECONDS"] = 0.0
    assert all(t >= RESET_ANSWER_SECONDS for t in timings.values()), timings
    assert abs(timings[world.operator_a] - timings["nobody@nowhere.example"]) < 0.1, timings
    outbox.wait_for_deliveries()


def test_the_sent_mail_page_is_for_this_machine_only(app: Flask, world: World) -> None:
    client = app.test_client()
    assert client.get("/dev/mail").status_code == 200
    remote = client.get("/dev/mail", environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 404
