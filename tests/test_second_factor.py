"""Second factors as people use them: add an authenticator app (QR code and key on the page, a
code typed back), sign in with password then code, recovery codes once each, remove a factor
with the password again; coordinators and admins reach no data page without one; and every
forgery the issue lists refused in words, nothing changed, audited."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import second_factor
from portal.extensions import db
from portal.mail import outbox
from portal.models import AuditEvent, RecoveryCode, SecondFactor, User, UserSession, utcnow
from tests.factories import PASSWORD, World, submit_assessment
from tests.smtp import SmtpServer
from tests.test_access_matrix import POLICY
from tests.web import csrf_token, login, post_form


def add_app(client: FlaskClient, name: str = "Pat's phone") -> tuple[pyotp.TOTP, list[str]]:
    """Add an authenticator app as a person does: read the key off the page, type a code back.
    Returns the app and the recovery codes shown."""
    page = client.get("/account/second-factor/app").get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page
    key = re.search(r'<code class="portal-secret">([A-Z2-7 ]+)</code>', page)
    assert key, "the key is shown as text"
    app_on_phone = pyotp.TOTP(key.group(1).replace(" ", ""))
    factor = re.search(r'name="factor" value="(\d+)"', page)
    assert factor
    response = client.post(
        "/account/second-factor/app",
        data={
            "csrf_token": csrf_token(page),
            "factor": factor.group(1),
            "name": name,
            "code": app_on_phone.now(),
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    codes = re.findall(r"<li><code>([A-Z0-9-]{29})</code></li>", response.get_data(as_text=True))
    response.close()  # as after a real response: the mail it queued goes out
    return app_on_phone, codes


def code_at(app_on_phone: pyotp.TOTP, steps_from_now: int) -> str:
    return app_on_phone.at(time.time() + steps_from_now * app_on_phone.interval)


def sign_in(app: Flask, email: str, code: str | None) -> tuple[FlaskClient, Any]:
    client = app.test_client()
    first = login(client, email)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/code")
    if code is None:
        return client, first
    return client, post_form(client, "/login/code", {"code": code})


def audited(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def next_step_code(app_on_phone: pyotp.TOTP) -> str:
    """A code of a step no code was taken for yet: the next one (valid one step ahead)."""
    return code_at(app_on_phone, 1)


@pytest.fixture
def operator(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    login(client, world.operator_a)
    return client


def test_an_operator_adds_an_app_and_signs_in_with_password_then_code(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    # A wrong code first: refused in words, the factor does not count.
    page = operator.get("/account/second-factor/app").get_data(as_text=True)
    factor = re.search(r'name="factor" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    wrong = operator.post(
        "/account/second-factor/app",
        data={"csrf_token": csrf_token(page), "factor": factor, "name": "Phone", "code": "000000"},
    )
    assert wrong.status_code == 400 and "That code does not match" in wrong.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None and not second_factor.has_factor(user)

    app_on_phone, codes = add_app(operator)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert audited(app, "auth.second_factor_added")
    with app.app_context():
        row = db.session.scalar(
            sa.select(SecondFactor).where(SecondFactor.confirmed_at.is_not(None))
        )
        assert row is not None and row.name == "Pat's phone"
        # Encrypted at rest: the key is not in the row, and no recovery code is stored as such.
        assert app_on_phone.secret.encode() not in (row.secret or b"")
        stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
        assert not stored & set(codes)
    assert "10 unused recovery codes of 10" in operator.get("/account/second-factor").get_data(
        as_text=True
    )

    # Signing in: the password alone signs nobody in.
    client, _ = sign_in(app, world.operator_a, None)
    assert client.get("/organization/").status_code == 302
    bad = post_form(client, "/login/code", {"code": "123456"})
    assert bad.status_code == 400 and "That code is not right" in bad.get_data(as_text=True)
    assert client.get("/organization/").status_code == 302
    good = post_form(client, "/login/code", {"code": next_step_code(app_on_phone)})
    assert good.status_code == 302
    assert client.get("/organization/").status_code == 200
    logins = [e for e in audited(app, "auth.login") if (e.details or {}).get("second_factor")]
    assert logins and logins[-1].details["second_factor"] == "totp"
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).where(UserSession.second_factor_at.is_not(None))
        )


def test_a_code_is_taken_once_and_only_one_step_either_side(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    app_on_phone, _ = add_app(operator)  # took the code of the current step
    # The same code again (a replay): refused.
    _, again = sign_in(app, world.operator_a, app_on_phone.now())
    assert again.status_code == 400
    # Two steps away: refused; one step ahead: accepted, and then no earlier step works.
    _, far = sign_in(app, world.operator_a, code_at(app_on_phone, 2))
    assert far.status_code == 400
    _, ahead = sign_in(app, world.operator_a, code_at(app_on_phone, 1))
    assert ahead.status_code == 302
    _, behind = sign_in(app, world.operator_a, app_on_phone.now())
    assert behind.status_code == 400
    assert len(audited(app, "auth.second_factor_refused")) >= 3


def test_recovery_codes_work_once_each_and_new_ones_void_the_old(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    _, codes = add_app(operator)
    client, used = sign_in(app, world.operator_a, codes[0].lower().replace("-", " "))
    assert used.status_code == 302 and used.headers["Location"].endswith("/account/second-factor")
    assert "9 unused recovery codes of 10" in client.get("/account/second-factor").get_data(
        as_text=True
    )
    assert audited(app, "auth.recovery_code_used")
    _, twice = sign_in(app, world.operator_a, codes[0])
    assert twice.status_code == 400

    # New codes need the password again; then the old ones stop working.
    wrong = post_form(
        client,
        "/account/second-factor/recovery-codes",
        {"current": "not my password"},
        page="/account/second-factor",
    )
    assert wrong.status_code == 302
    fresh = post_form(
        client,
        "/account/second-factor/recovery-codes",
        {"current": PASSWORD},
        page="/account/second-factor",
    )
    new_codes = re.findall(r"<li><code>([A-Z0-9-]{29})</code></li>", fresh.get_data(as_text=True))
    assert len(new_codes) == 10 and "no longer work" in fresh.get_data(as_text=True)
    _, old = sign_in(app, world.operator_a, codes[1])
    assert old.status_code == 400
    _, new = sign_in(app, world.operator_a, new_codes[0])
    assert new.status_code == 302


def test_removing_a_factor_needs_the_password_and_only_ones_own(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    add_app(operator)
    with app.app_context():
        mine = db.session.scalar(sa.select(SecondFactor.id))
    other = app.test_client()
    login(other, world.operator_b)
    # From another account's session: refused in words, nothing changed, audited.
    refused = post_form(
        other,
        f"/account/second-factor/{mine}/remove",
        {"current": PASSWORD},
        page="/account/second-factor",
    )
    assert refused.status_code == 302
    assert "not one of yours" in other.get("/account/second-factor").get_data(as_text=True)
    assert [e for e in audited(app, "auth.second_factor_refused") if e.outcome == "denied"]
    # Without the password: refused.
    post_form(
        operator,
        f"/account/second-factor/{mine}/remove",
        {"current": "wrong"},
        page="/account/second-factor",
    )
    with app.app_context():
        assert db.session.get(SecondFactor, mine) is not None
    post_form(
        operator,
        f"/account/second-factor/{mine}/remove",
        {"current": PASSWORD},
        page="/account/second-factor",
    )
    with app.app_context():
        assert db.session.get(SecondFactor, mine) is None
        assert not db.session.scalar(sa.select(sa.func.count(RecoveryCode.id)))
    assert audited(app, "auth.second_factor_removed")
    # Signing in is the password alone again.
    assert login(app.test_client(), world.operator_a).headers["Location"].endswith("/")


@pytest.fixture
def no_grace(app: Flask) -> Iterator[None]:
    saved = app.config["MFA_ENROL_GRACE_DAYS"]
    app.config["MFA_ENROL_GRACE_DAYS"] = 0  # production's default
    yield
    app.config["MFA_ENROL_GRACE_DAYS"] = saved


@pytest.mark.usefixtures("no_grace")
def test_a_coordinator_without_a_second_factor_reaches_no_data_page(
    app: Flask, world: World, objects: dict[str, Any]
) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    open_pages = {
        "auth.second_factors",
        "auth.add_app",
        "auth.add_passkey",
        "auth.change_password",
        "auth.confirm_identity",
    }
    for endpoint, (kind, method, template) in sorted(POLICY.items()):
        if method != "GET" or endpoint in open_pages or kind in ("public", "token"):
            continue
        if kind == "after_password":
            continue
        response = coordinator.get(template.format(**objects))
        where = f"{endpoint}: {response.status_code}"
        assert response.status_code == 302, where
        assert response.headers["Location"].endswith("/account/second-factor/app"), where
    # Public pages stay public; the enrolment page is open.
    assert coordinator.get("/").status_code == 302  # home is a page with data for staff
    app_on_phone, _ = add_app(coordinator, "Coordinator's phone")
    assert coordinator.get("/review/").status_code == 200
    # Their last factor cannot be removed: a coordinator must keep one.
    with app.app_context():
        factor = db.session.scalar(sa.select(SecondFactor.id))
    post_form(
        coordinator,
        f"/account/second-factor/{factor}/remove",
        {"current": PASSWORD},
        page="/account/second-factor",
    )
    with app.app_context():
        assert db.session.get(SecondFactor, factor) is not None
    # And at the next sign-in the code is asked for.
    _, signed = sign_in(app, world.coordinator_x, next_step_code(app_on_phone))
    assert signed.status_code == 302


def test_codes_are_throttled_like_passwords(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    app_on_phone, _ = add_app(operator)
    client, _ = sign_in(app, world.operator_a, None)
    limit = second_factor.SECOND_FACTOR.per_account
    statuses = [
        post_form(client, "/login/code", {"code": "111111"}).status_code for _ in range(limit)
    ]
    assert statuses == [400] * limit
    # Past the limit even the right code is refused, with a message that says to wait.
    last = post_form(client, "/login/code", {"code": next_step_code(app_on_phone)})
    assert last.status_code == 429 and "wait 15 minutes" in last.get_data(as_text=True)
    assert audited(app, "auth.second_factor_throttled")


def test_a_held_sign_in_runs_out_and_a_password_reset_keeps_the_factor(
    app: Flask, world: World, operator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_app(operator)
    client, _ = sign_in(app, world.operator_a, None)
    later = time.time() + second_factor.PENDING_FOR.total_seconds() + 1
    monkeypatch.setattr(second_factor.time, "time", lambda: later)
    expired = client.get("/login/code")
    assert expired.status_code == 302 and expired.headers["Location"].endswith("/login")
    monkeypatch.undo()
    # A new password (as a reset sets it) leaves the second factor in place.
    from portal.auth import service

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        service.set_password(user, "a brand new long passphrase 2026")
        db.session.commit()
        assert second_factor.has_factor(user)


def test_adding_and_removing_tell_the_person_by_mail(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    client = app.test_client()
    login(client, world.operator_b)
    _, codes = add_app(client, "Work phone")
    _, used = sign_in(app, world.operator_b, codes[0])
    used.close()
    received = mail_server.wait_for(3)  # added, new recovery codes, a recovery code used
    subjects = sorted(str(m.message["Subject"]) for m in received)
    assert any("second factor was added" in s for s in subjects), subjects
    assert any("recovery code was used" in s for s in subjects), subjects
    added = next(m for m in received if "added" in str(m.message["Subject"]))
    assert "“Work phone” was added to your account" in added.text


@pytest.mark.usefixtures("no_grace")
def test_operators_can_require_a_second_factor_of_all_of_them(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    """Only an operator who has one may require it; then a colleague without one reaches no
    page with data, and nobody can remove their last one."""
    asked = post_form(operator, "/organization/second-factor", {"require": "yes"}, page="/")
    assert asked.status_code == 302
    assert "Add a second factor to your own account first" in operator.get(
        "/organization/"
    ).get_data(as_text=True)
    add_app(operator)
    post_form(operator, "/organization/second-factor", {"require": "yes"}, page="/")
    page = operator.get("/organization/").get_data(as_text=True)
    assert "every operator of" in page and "Required:" in page
    assert audited(app, "organization.second_factor_required")

    from portal.auth import service
    from portal.models import Organization

    with app.test_request_context():
        organization = db.session.get(Organization, world.org_a)
        inviter = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert organization is not None and inviter is not None
        colleague = service.accept_invitation(
            service.create_invitation(organization, "c@alpha.example.org", inviter)[0],
            "Casey Colleague",
            PASSWORD,
        )
        db.session.commit()
        email = colleague.email
    colleague_client = app.test_client()
    login(colleague_client, email)
    blocked = colleague_client.get("/assessments/")
    assert blocked.status_code == 302
    assert blocked.headers["Location"].endswith("/account/second-factor/app")
    # The one who required it cannot now drop their own last factor.
    with app.app_context():
        factor = db.session.scalar(sa.select(SecondFactor.id))
    post_form(
        operator,
        f"/account/second-factor/{factor}/remove",
        {"current": PASSWORD},
        page="/account/second-factor",
    )
    with app.app_context():
        assert db.session.get(SecondFactor, factor) is not None


def test_results_with_mfa_gaps_ask_the_operator_to_start_with_their_own_account(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    assessment_id = submit_assessment(app, world)  # worst on critical questions: MFA a gap
    offer = "Start with your own account"
    assert offer in operator.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = coordinator.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)
    assert offer not in page  # said to the organization's own operators only
    add_app(operator)
    assert offer not in operator.get(f"/assessments/{assessment_id}/results").get_data(as_text=True)


@pytest.mark.usefixtures("no_grace")
def test_a_locked_out_coordinator_is_reset_from_the_command_line(app: Flask, world: World) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    add_app(coordinator)
    refused = app.test_cli_runner().invoke(args=["second-factor", "reset", world.coordinator_x])
    assert refused.exit_code != 0 and "--reason" in refused.output  # a reason is required
    result = app.test_cli_runner().invoke(
        args=["second-factor", "reset", world.coordinator_x, "--reason", "ticket 4711"]
    )
    assert result.exit_code == 0, result.output
    assert "1 second factor(s)" in result.output
    assert coordinator.get("/review/").status_code == 302  # their logins ended
    (event,) = audited(app, "auth.second_factor_reset")
    assert event.details["by"] == "command line: ticket 4711"
    # The password alone signs in again, straight to adding a new factor.
    fresh = app.test_client()
    assert login(fresh, world.coordinator_x).status_code == 302
    assert fresh.get("/review/").headers["Location"].endswith("/account/second-factor/app")


def age_logins(app: Flask, minutes: int) -> None:
    """Every login started (and last proved a factor) ``minutes`` ago."""
    with app.app_context():
        past = utcnow() - timedelta(minutes=minutes)
        db.session.execute(
            sa.update(UserSession).values(
                created_at=past,
                second_factor_at=sa.case(
                    (UserSession.second_factor_at.is_(None), None), else_=past
                ),
            )
        )
        db.session.commit()


def test_sensitive_admin_actions_ask_again_who_you_are_after_15_minutes(
    app: Flask, world: World
) -> None:
    admin = app.test_client()
    login(admin, world.admin)
    assert admin.get("/admin/coordinators/new").status_code == 200  # just signed in: fresh
    age_logins(app, 20)
    asked = admin.get("/admin/coordinators/new")
    assert asked.status_code == 302
    assert "/account/confirm?next=/admin/coordinators/new" in asked.headers["Location"]
    # A change sent after that time is not carried out.
    with app.app_context():
        coordinator = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
        assert coordinator is not None
        target = coordinator.id
    refused = post_form(admin, f"/admin/users/{target}/deactivate", {}, page="/admin/")
    assert refused.status_code == 302 and "/account/confirm" in refused.headers["Location"]
    with app.app_context():
        assert db.session.get(User, target).is_active  # type: ignore[union-attr]
    # The password (an admin in their grace period has no factor yet): wrong, then right.
    wrong = post_form(admin, "/account/confirm?next=/admin/", {"current": "nope"})
    assert wrong.status_code == 400 and "That is not your password" in wrong.get_data(as_text=True)
    assert audited(app, "auth.step_up_refused")
    right = post_form(admin, "/account/confirm?next=/admin/", {"current": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"].endswith("/admin/")
    done = post_form(admin, f"/admin/users/{target}/deactivate", {}, page="/admin/")
    assert done.status_code == 302 and "/account/confirm" not in done.headers["Location"]
    with app.app_context():
        assert not db.session.get(User, target).is_active  # type: ignore[union-attr]


def test_a_coordinator_with_a_factor_confirms_with_it_before_a_jurisdiction_export(
    app: Flask, world: World
) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    app_on_phone, _ = add_app(coordinator)
    assert coordinator.get("/review/export.csv").status_code == 200  # just proved it
    age_logins(app, 20)
    asked = coordinator.get("/review/export.csv")
    assert asked.status_code == 302 and "/account/confirm" in asked.headers["Location"]
    # Every other file of the jurisdiction's data asks too.
    for path in ("/review/export.xlsx", "/review/exposure/affected.xlsx", "/review/oscal.zip"):
        other = coordinator.get(path)
        assert other.status_code == 302 and "/account/confirm" in other.headers["Location"], path
    page = coordinator.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and "current-password" not in page
    confirmed = post_form(
        coordinator,
        "/account/confirm?next=/review/export.csv",
        {"code": next_step_code(app_on_phone)},
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(
        "/review/export.csv"
    )
    assert coordinator.get("/review/export.csv").status_code == 200
    steps = audited(app, "auth.step_up")
    assert steps and steps[-1].details["proof"] == "totp"


def test_the_account_page_lists_ones_logins_and_signs_out_the_others(
    app: Flask, world: World
) -> None:
    laptop = app.test_client()
    login(
        laptop,
        world.operator_a,
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/133.0"},
    )
    phone = app.test_client()
    login(
        phone,
        world.operator_a,
        headers={
            "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1"
        },
    )
    page = laptop.get("/account/").get_data(as_text=True)
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "This browser" in page
    with app.app_context():
        rows = db.session.scalars(sa.select(UserSession).order_by(UserSession.id)).all()
        laptop_row, phone_row = rows[-2], rows[-1]
    # Another person's login cannot be ended from here.
    other = app.test_client()
    login(other, world.operator_b)
    post_form(other, f"/account/sessions/{phone_row.id}/end", {}, page="/account/")
    assert phone.get("/organization/").status_code == 200
    assert audited(app, "auth.session_end_refused")
    # One's own other login can.
    post_form(laptop, f"/account/sessions/{phone_row.id}/end", {}, page="/account/")
    assert phone.get("/organization/").status_code == 302
    assert laptop.get("/organization/").status_code == 200
    # "Sign out everywhere else" ends every other one and keeps this one.
    third = app.test_client()
    login(third, world.operator_a)
    done = post_form(laptop, "/account/sessions/end-others", {}, page="/account/")
    assert done.status_code == 302
    assert third.get("/organization/").status_code == 302
    assert laptop.get("/organization/").status_code == 200
    assert laptop_row.id  # (the laptop's row stayed live)


def test_logins_beyond_the_bound_end_the_longest_idle(app: Flask, world: World) -> None:
    from portal.auth import sessions

    clients = []
    for _ in range(sessions.MAX_SESSIONS + 2):
        client = app.test_client()
        login(client, world.operator_b)
        clients.append(client)
    with app.app_context():
        live = db.session.scalar(sa.select(sa.func.count()).where(UserSession.revoked_at.is_(None)))
    assert live == sessions.MAX_SESSIONS
    assert clients[0].get("/organization/").status_code == 302  # the oldest went
    assert clients[-1].get("/organization/").status_code == 200


def test_an_admin_resets_a_coordinators_second_factor_with_step_up(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    add_app(coordinator)
    with app.app_context():
        target = db.session.scalar(sa.select(User.id).where(User.email == world.coordinator_x))
    admin = app.test_client()
    login(admin, world.admin)
    page = admin.get("/admin/").get_data(as_text=True)
    assert f"/admin/users/{target}/reset_second_factor" in page
    age_logins(app, 20)
    stale = post_form(admin, f"/admin/users/{target}/reset_second_factor", {}, page="/admin/")
    assert "/account/confirm" in stale.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 1
    post_form(admin, "/account/confirm?next=/admin/", {"current": PASSWORD})
    done = post_form(admin, f"/admin/users/{target}/reset_second_factor", {}, page="/admin/")
    done.close()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 0
    (event,) = audited(app, "auth.second_factor_reset")
    assert event.details["by"] == f"admin {world.admin}"
    assert coordinator.get("/review/").status_code == 302  # their logins ended
    outbox.wait_for_deliveries()
    # added, new recovery codes, removed by the reset
    told = [m for m in mail_server.wait_for(3) if m.envelope_to == [world.coordinator_x]]
    assert any("removed" in str(m.message["Subject"]) for m in told)


def parallel_codes(app: Flask, email: str, count: int) -> list[int]:
    """``count`` browsers each give the password, then all send a wrong code at once."""
    clients = []
    for _ in range(count):
        client = app.test_client()
        assert login(client, email).headers["Location"].endswith("/login/code")
        clients.append(client)
    tokens = [csrf_token(c.get("/login/code").get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str) -> None:
        barrier.wait(timeout=30)
        statuses.append(
            client.post("/login/code", data={"code": "000000", "csrf_token": token}).status_code
        )

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return statuses


@pytest.mark.parametrize("store", ["database", "redis"])
def test_twenty_parallel_code_guesses_get_at_most_the_accounts_five(
    app: Flask, world: World, operator: FlaskClient, store: str, request: pytest.FixtureRequest
) -> None:
    if store == "redis":
        request.getfixturevalue("with_redis")
    add_app(operator)
    statuses = parallel_codes(app, world.operator_a, 20)
    limit = second_factor.SECOND_FACTOR.per_account
    assert set(statuses) <= {400, 429} and len(statuses) == 20, statuses
    if store == "redis":  # one atomic script over both counts: exact
        assert statuses.count(400) == limit, statuses
    else:  # each attempt written, then counted: never more, and a burst may get fewer
        assert 1 <= statuses.count(400) <= limit, statuses


def test_a_code_of_another_accounts_app_or_an_unknown_key_is_refused(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    add_app(operator)
    other = app.test_client()
    login(other, world.operator_b)
    their_app, _ = add_app(other)
    _, refused = sign_in(app, world.operator_a, next_step_code(their_app))
    assert refused.status_code == 400
    # A passkey answer naming a credential nobody registered: refused in words, audited.
    client, _ = sign_in(app, world.operator_a, None)
    client.post(
        "/login/passkey/options",
        headers={"X-CSRFToken": csrf_token(client.get("/login/code").get_data(as_text=True))},
    )
    forged = post_form(
        client,
        "/login/passkey",
        {"credential": '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}'},
        page="/login/code",
    )
    assert forged.status_code == 400 and "was not accepted" in forged.get_data(as_text=True)
    assert client.get("/organization/").status_code == 302
    reasons = [
        (e.details or {}).get("reason", "") for e in audited(app, "auth.second_factor_refused")
    ]
    assert "an unknown credential" in reasons


def test_a_reset_link_does_not_sign_in_past_the_second_factor(
    app: Flask, world: World, operator: FlaskClient
) -> None:
    """A mailed link proves the mailbox, not the person: after choosing a new password the
    browser still waits for the code."""
    app_on_phone, _ = add_app(operator)
    from portal.auth import tokens
    from portal.models import TokenPurpose

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        secret = tokens.secret_of(tokens.issue(user, TokenPurpose.RESET_PASSWORD))
        db.session.commit()
    browser = app.test_client()
    chosen = post_form(
        browser,
        f"/password/reset/{secret}",
        {
            "password": "a brand new long passphrase 2026",
            "confirm": "a brand new long passphrase 2026",
        },
    )
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/login/code")
    assert browser.get("/organization/").status_code == 302  # not signed in yet
    done = post_form(browser, "/login/code", {"code": next_step_code(app_on_phone)})
    assert done.status_code == 302
    assert browser.get("/organization/").status_code == 200


def test_wrong_codes_after_the_right_password_tell_the_person_and_stop_at_100(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    client = app.test_client()
    login(client, world.operator_b)
    app_on_phone, _ = add_app(client)
    browser, _ = sign_in(app, world.operator_b, None)
    for _ in range(second_factor.SECOND_FACTOR.per_account):
        post_form(browser, "/login/code", {"code": "000000"}).close()
    outbox.wait_for_deliveries()  # the refusals' responses are closed: their mail is going
    told = [m for m in mail_server.wait_for(2) if "Someone has your" in str(m.message["Subject"])]
    assert told and "typed 5 wrong codes" in told[0].text
    # Past the limit of refusals in a row, even the right code is refused until a reset.
    with app.app_context():
        db.session.execute(
            sa.update(User)
            .where(User.email == world.operator_b)
            .values(second_factor_failures=second_factor.MAX_FAILURES)
        )
        db.session.commit()
    fresh, _ = sign_in(app, world.operator_b, None)
    with app.app_context():  # a new window for the throttle: only the lock speaks
        db.session.execute(sa.text("DELETE FROM login_attempts"))
        db.session.commit()
    locked = post_form(fresh, "/login/code", {"code": next_step_code(app_on_phone)})
    assert locked.status_code == 400 and "Ask your administrator" in locked.get_data(as_text=True)


def test_a_passkey_challenge_is_answered_once_even_from_a_copied_cookie(
    app: Flask, world: World
) -> None:
    from flask import session

    from portal.auth import passkeys

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert user is not None
        passkeys.authentication_options(user)
        copied = dict(session)
        first = passkeys._take_challenge("sign_in", user)
        session.update(copied)  # the earlier cookie, sent again
        with pytest.raises(second_factor.SecondFactorError, match="took too long"):
            passkeys._take_challenge("sign_in", user)
        assert first


def test_the_add_app_page_keeps_showing_the_code_being_scanned(
    app: Flask, operator: FlaskClient
) -> None:
    """A reload, or the page opened by a link from another site, does not void the QR code."""
    key = re.compile(r'<code class="portal-secret">([A-Z2-7 ]+)</code>')
    first = key.search(operator.get("/account/second-factor/app").get_data(as_text=True))
    again = key.search(operator.get("/account/second-factor/app").get_data(as_text=True))
    assert first and again and first.group(1) == again.group(1)


def test_every_operator_hears_when_the_requirement_changes(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    client = app.test_client()
    login(client, world.operator_a)
    add_app(client)
    post_form(client, "/organization/second-factor", {"require": "yes"}, page="/").close()
    post_form(client, "/organization/second-factor", {"require": "no"}, page="/").close()
    outbox.wait_for_deliveries()
    subjects = [str(m.message["Subject"]) for m in mail_server.wait_for(4)]
    assert any("now requires a second factor" in s for s in subjects), subjects
    assert any("no longer requires a second factor" in s for s in subjects), subjects
