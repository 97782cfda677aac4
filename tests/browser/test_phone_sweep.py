"""Every page at 360 px, in every state that has rows (#34): no sideways scrolling anywhere.

The pages are not listed by hand: the walk of tests/every_page.py visits every GET route (a
route not visited must be in its ``NOT_PAGES``: files, health checks, links from mail), as the
person who may see it, on the realistic hospital submitted, returned with comments and a reply,
resubmitted and accepted.

A wide table may scroll inside its own box (``.usa-table-container--scrollable``); the page may
not. On a failure the page's screenshot is kept in the browser artifacts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.browser.test_journey import register
from tests.browser.test_layout import sign_in
from tests.browser.test_review_loop import too_wide
from tests.every_page import Pages, Typed, walk
from tests.factories import World

WIDTH = 360

LONG_NOTE = (
    "Approved; call the state SOC at the number in the letter to schedule the scan window "
    "(https://soc.state.example.gov/scheduling/cyber-hygiene-window-request-form)."
)


class Sweep:
    def __init__(self, chromium: Any, live_server: str, shots: Path) -> None:
        self.chromium, self.base, self.shots = chromium, live_server, shots
        self.visited: set[str] = set()
        self.wide: list[str] = []

    def as_person(self, email: str | None, visits: Pages, state: str) -> None:
        context = chromium_context(self.chromium)
        try:
            page = context.new_page()
            if email is not None:
                sign_in(page, self.base, email)
            for endpoint, path in visits:
                response = page.goto(self.base + path)
                assert response is not None and response.status == 200, (endpoint, path, state)
                # The page asked for, not one it redirected to: only then is it swept.
                assert urlsplit(page.url).path == urlsplit(path).path, (path, page.url, state)
                self.visited.add(endpoint)
                if wide := too_wide(page, f"{path} ({state})"):
                    name = re.sub(r"[^a-z0-9]+", "-", f"{state}-{path}".lower()).strip("-")
                    page.screenshot(path=str(self.shots / f"wide-{name}.png"), full_page=True)
                    self.wide.append(wide)
        finally:
            context.close()

    def registered(self) -> None:
        """The page after registering, reached as a person reaches it."""
        context = chromium_context(self.chromium)
        try:
            page = context.new_page()
            register(
                page,
                self.base,
                "Pine Grove Water District of the Upper Valley",
                "robin.lee@pinegrove-water.example.org",
                "a long passphrase nobody would guess",
            )
            # The page loaded whole, its script too: closing the browser mid-download would
            # leave the dev server's file open (werkzeug skips the close when the peer is gone).
            page.wait_for_url(re.compile(r"/register/done$"), wait_until="load")
            self.visited.add("auth.registered")
            if wide := too_wide(page, "/register/done"):
                self.wide.append(wide)
        finally:
            context.close()


def chromium_context(chromium: Any) -> Any:
    return chromium.new_context(viewport={"width": WIDTH, "height": 740}, is_mobile=True)


def test_every_page_fits_a_phone_in_every_state(
    app: Flask,
    client: FlaskClient,
    world: World,
    live_server: str,
    chromium: Any,
    shots: Path,
    pdf_cache: Any,
) -> None:
    sweep = Sweep(chromium, live_server, shots)
    # What people type runs long and unbroken: a link in a note, a reason, a justification.
    typed = Typed(
        note="Ticket: " + LONG_NOTE,
        reason=LONG_NOTE,
        comment_on_question="Which address is the remote desktop on? Close it this week: "
        "https://www.cisa.gov/resources-tools/resources/stopransomware-guide",
        comment_on_all="Thanks — two points to look at.",
        reply="Closed on the firewall today.",
    )
    pages = walk(app, client, world, sweep.as_person, typed)
    sweep.registered()
    assert not sweep.wide, "wider than the phone:\n" + "\n".join(sweep.wide)
    assert pages - sweep.visited == set(), "pages nobody visited"
