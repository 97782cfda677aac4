"""Forgot password, in a real browser: ask for a link, read it from the mail that arrived at a
real SMTP server, follow it, choose a new password, and be signed in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import serious_violations
from tests.factories import World
from tests.smtp import SmtpServer

NEW_PASSWORD = "a long new password for pat"


def test_forgot_password_message_new_password_signed_in(
    app: Flask, live_server: str, chromium: Any, world: World, mail_server: SmtpServer, shots: Path
) -> None:
    saved = app.config["PORTAL_BASE_URL"]
    app.config["PORTAL_BASE_URL"] = live_server  # links lead back to this server
    try:
        page = chromium.new_page()
        page.goto(live_server + "/login")
        page.click("text=Forgot your password?")
        page.fill("#email", world.operator_a)
        page.click("button:has-text('Send me a link')")
        page.wait_for_selector("h1:has-text('Check your email')")
        page.screenshot(path=str(shots / "reset-sent.png"), full_page=True)
        assert serious_violations(page) == []
        (message,) = mail_server.wait_for(1)
        link = re.search(re.escape(live_server) + r"/password/reset/\S+", message.text)
        assert link, message.text
        page.goto(link.group(0))
        page.fill("#password", NEW_PASSWORD)
        page.fill("#confirm", NEW_PASSWORD)
        page.screenshot(path=str(shots / "reset-choose.png"), full_page=True)
        assert serious_violations(page) == []
        page.click("button:has-text('Save my password')")
        page.wait_for_selector("text=Your password is set and you are signed in.")
        assert "Signed in as" in page.content()
        # And the new password is the one that works from now on.
        page.click("button:has-text('Sign out')")
        page.fill("#email", world.operator_a)
        page.fill("#password", NEW_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Signed in as")
        page.close()
    finally:
        app.config["PORTAL_BASE_URL"] = saved
