"""Phone width, keyboard-only use, focus on errors, page titles — in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import serious_violations
from tests.conftest import PASSWORD, World


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_failed_sign_in_moves_focus_to_the_error_summary(live_server: str, chromium: Any) -> None:
    page = chromium.new_page()
    page.goto(live_server + "/login")
    assert page.title() == "Sign in | Readiness Portal"
    page.click("button[type=submit]")  # nothing filled in
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "There is a problem" in page.locator("#error-summary").inner_text()
    page.close()


def test_phone_width_has_no_sideways_scrolling(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    from tests.reports.conftest import submit_assessment

    submitted = submit_assessment(app, world)
    sign_in(page, live_server, world.operator_a)
    page.goto(live_server + "/assessments/")
    page.click("button.usa-button--big")  # "Start a new assessment (pre-filled…)"
    page.wait_for_url(re.compile(r"/steps/\d+"))
    pages = {
        "mobile-wizard": page.url,
        "mobile-assessments": live_server + "/assessments/",
        "mobile-results": f"{live_server}/assessments/{submitted}/results",
    }
    for name, url in pages.items():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{name}: {width} px wide at a 360 px screen"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
        assert serious_violations(page) == []
    context.close()
    context = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, world.coordinator_x)
    for name, path in (("mobile-queue", "/review/"), ("mobile-dashboard", "/review/dashboard")):
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{name}: {width} px wide at a 360 px screen"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        assert serious_violations(page) == []
    context.close()


def test_the_whole_wizard_can_be_done_with_the_keyboard_alone(
    live_server: str, chromium: Any, world: World
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, live_server, world.operator_a)
    page.goto(live_server + "/assessments/")
    page.click("text=Start the assessment")
    page.wait_for_url(re.compile(r"/steps/0"))
    assert re.match(r".+ — step 1 of \d+ \| Readiness Portal", page.title())
    shown = "fieldset.portal-question:not([hidden])"
    # Tab through each page; an arrow key picks a choice of any unanswered question (arrows
    # select within a radio group); Enter on "Save and continue" once all are answered — to the
    # review page, then Enter on "Submit". No mouse.
    for _ in range(40):
        if "/review" in page.url:
            break
        url = page.url
        for _ in range(400):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "({type: document.activeElement.type, value: document.activeElement.value,"
                " answered: !!document.activeElement.closest('fieldset')?.querySelector(':checked')})"
            )
            if focused["type"] == "radio" and not focused["answered"]:
                page.keyboard.press("ArrowDown")
            unanswered = page.locator(f"{shown}:not(:has(input[type=radio]:checked))").count()
            if (
                focused["type"] == "submit"
                and focused["value"] in ("next", "review")
                and unanswered == 0
            ):
                page.keyboard.press("Enter")
                break
        page.wait_for_url(lambda now, before=url: now != before)
    assert "/review" in page.url and page.title().startswith("Review and submit")
    for _ in range(100):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Submit the assessment":
            page.keyboard.press("Enter")
            break
    page.wait_for_url(re.compile(r"/results"))
    assert "Your results" in page.content()
    context.close()
