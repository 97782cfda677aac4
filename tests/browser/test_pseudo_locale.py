"""The pseudo-locale in a real browser at 360 px (#35): every translated text 40 % longer and
bracketed (tests/pseudo_locale.py). The operator's and the coordinator's main pages, and the
pages before signing in, must still fit a phone, stay axe-clean, and show no English outside
the brackets — an English word there is a text nobody marked for translation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.browser.conftest import serious_violations
from tests.browser.test_layout import sign_in
from tests.browser.test_phone_sweep import chromium_context
from tests.browser.test_review_loop import too_wide
from tests.factories import World
from tests.kev.catalogs import submit_hospital
from tests.pseudo_locale import PSEUDO, pseudo_locale
from tests.test_spanish_pages import english_words


def test_pages_hold_translations_40_percent_longer_at_360_px(
    app: Flask,
    client: FlaskClient,
    world: World,
    live_server: str,
    chromium: Any,
    shots: Path,
    tmp_path: Path,
) -> None:
    aid = submit_hospital(app, client, world)
    people: list[tuple[str | None, list[str]]] = [
        (None, ["/", "/login", "/register", "/password/forgot"]),
        (
            world.operator_a,
            [
                "/",
                "/assessments/",
                f"/assessments/{aid}/results",
                "/organization/",
                "/organization/products/",
                f"/assessments/{aid}/tool-requests/new",
                "/account/",
            ],
        ),
        (
            world.coordinator_x,
            [
                "/review/",
                f"/review/assessments/{aid}",
                "/review/dashboard",
                "/review/tool-requests",
            ],
        ),
    ]
    found: dict[str, list[str]] = {}
    with pseudo_locale(app, tmp_path):
        for email, paths in people:
            context = chromium_context(chromium)
            page = context.new_page()
            if email is not None:
                sign_in(page, live_server, email)
            for path in paths:
                address = path + ("&" if "?" in path else "?") + f"lang={PSEUDO}"
                response = page.goto(live_server + address)
                assert response is not None and response.status == 200, path
                assert page.evaluate("document.documentElement.lang") == PSEUDO, path
                problems = []
                if wide := too_wide(page, path):
                    problems.append(wide)
                problems += serious_violations(page)
                problems += [f"unmarked: {w}" for w in english_words(page.content(), PSEUDO)]
                if problems:
                    name = path.strip("/").replace("/", "-") or "home"
                    page.screenshot(path=str(shots / f"pseudo-{name}.png"), full_page=True)
                    found[f"{email or 'signed out'} {path}"] = problems[:8]
            context.close()
    assert not found, "\n".join(f"{page}: {problems}" for page, problems in found.items())
