"""Second factors in a real browser: a passkey registered with Chromium's virtual WebAuthn
authenticator (over the DevTools protocol) and used to sign in; an authenticator app enrolled by
reading the key off the page and computing its codes, then used to sign in."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pyotp
import sqlalchemy as sa
from flask import Flask

from portal.auth import passkeys
from portal.extensions import db
from portal.models import AuditEvent, SecondFactor
from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD, World


def sign_in_with_password(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Your second factor')")
    # Its script loaded too: a click before it runs submits the form without asking the key.
    page.wait_for_load_state("load")


def sign_out(page: Any) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("h1:has-text('Sign in')")


def refused_with(page: Any, base: str, email: str, words: str) -> None:
    sign_in_with_password(page, base, email)
    page.click("button:has-text('Use my passkey')")
    page.wait_for_selector(f"text={words}")
    assert "Signed in as" not in page.content()


def test_a_passkey_is_registered_and_signs_in(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    # WebAuthn wants a domain, not an address: the portal and the browser both say localhost.
    base = live_server.replace("127.0.0.1", "localhost")
    saved = app.config["PORTAL_BASE_URL"]
    app.config["PORTAL_BASE_URL"] = base
    context = chromium.new_context()
    try:
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        page.goto(base + "/login")
        page.fill("#email", world.operator_a)
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_selector("text=Signed in as")
        page.goto(base + "/account/second-factor")
        page.click("text=Add a passkey or security key")
        # Loaded whole, its script attached, before the button is pressed.
        page.wait_for_url(re.compile(r"/second-factor/passkey$"), wait_until="load")
        page.fill("#name", "Laptop passkey")
        assert serious_violations(page) == []
        page.click("button:has-text('Add the passkey')")
        page.wait_for_selector("h1:has-text('Your recovery codes')")
        assert page.locator(".portal-recovery-codes li").count() == 10
        page.screenshot(path=str(shots / "second-factor-recovery-codes.png"), full_page=True)
        assert serious_violations(page) == []
        with app.app_context():
            key = db.session.scalar(sa.select(SecondFactor).where(SecondFactor.kind == "webauthn"))
            assert key is not None and key.credential_id and key.public_key
            first_count = key.sign_count or 0

        sign_out(page)
        # Forged or stale answers are refused in words, nobody is signed in, each is audited:
        # a counter that goes backwards (a cloned key), another origin, an expired challenge.
        with app.app_context():
            db.session.execute(sa.update(SecondFactor).values(sign_count=10**6))
            db.session.commit()
        refused_with(page, base, world.operator_a, "was not accepted")
        with app.app_context():
            db.session.execute(sa.update(SecondFactor).values(sign_count=first_count))
            db.session.commit()
        app.config["PORTAL_BASE_URL"] = "http://localhost:1"  # the portal is elsewhere
        refused_with(page, base, world.operator_a, "was not accepted")
        app.config["PORTAL_BASE_URL"] = base
        passkeys.CHALLENGE_FOR, saved_wait = -1, passkeys.CHALLENGE_FOR
        try:
            refused_with(page, base, world.operator_a, "took too long")
        finally:
            passkeys.CHALLENGE_FOR = saved_wait
        with app.app_context():
            refusals = db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "auth.second_factor_refused")
            ).all()
            assert len(refusals) >= 2

        sign_in_with_password(page, base, world.operator_a)
        page.screenshot(path=str(shots / "second-factor-sign-in.png"), full_page=True)
        assert serious_violations(page) == []
        page.click("button:has-text('Use my passkey')")
        page.wait_for_selector("text=Signed in as")
        with app.app_context():
            key = db.session.scalar(sa.select(SecondFactor).where(SecondFactor.kind == "webauthn"))
            assert key is not None and (key.sign_count or 0) > first_count  # the counter moved
            logins = db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "auth.login")
            ).all()
            assert any((e.details or {}).get("second_factor") == "webauthn" for e in logins)
    finally:
        context.close()
        app.config["PORTAL_BASE_URL"] = saved


def test_an_authenticator_app_is_enrolled_from_the_page_and_signs_in(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(live_server + "/login")
        page.fill("#email", world.operator_b)
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_selector("text=Signed in as")
        page.goto(live_server + "/account/second-factor/app")
        assert page.locator(".portal-qr svg").count() == 1
        page.screenshot(path=str(shots / "second-factor-add-app.png"), full_page=True)
        assert serious_violations(page) == []
        app_on_phone = pyotp.TOTP(page.inner_text(".portal-secret").replace(" ", ""))
        page.fill("#name", "Pat's phone")
        page.fill("#code", app_on_phone.now())
        page.click("button:has-text('Add the app')")
        page.wait_for_selector("h1:has-text('Your recovery codes')")
        sign_out(page)
        sign_in_with_password(page, live_server, world.operator_b)
        # The code of the next step: the current one was taken by the enrolment.
        page.fill("#code", app_on_phone.at(time.time() + app_on_phone.interval))
        page.click("button:has-text('Sign in')")
        page.wait_for_selector("text=Signed in as")
    finally:
        context.close()
