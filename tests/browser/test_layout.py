"""Phone width, keyboard-only use, focus on errors, page titles — in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD, World


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
    from tests.factories import submit_assessment

    submitted = submit_assessment(app, world)
    with app.app_context():  # a request with a long note: its table must fit too (#34)
        from portal.extensions import db
        from tests.factories import add_tool_request

        add_tool_request(world.org_a, submitted, decision_reason="Approved; call the state SOC "
                         "at the number in the letter to schedule the scan window.")  # fmt: skip
        db.session.commit()
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
    # The wizard's buttons stack with the way forward on top (#34), and a question's title sits
    # inside its box, not on the rule above it (where it left a short line beside the title).
    page.goto(pages["mobile-wizard"])
    buttons = page.locator(".portal-wizard__buttons .usa-button")
    tops = [buttons.nth(i).bounding_box()["y"] for i in range(buttons.count())]  # type: ignore[index]
    assert buttons.first.inner_text() == "Save and continue" and tops == sorted(tops)
    assert (
        page.locator(".portal-question__text").first.evaluate("e => getComputedStyle(e).float")
        == "left"
    )
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
    assert "/review" in page.url and page.title().startswith("Check your answers")
    for _ in range(100):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Submit the assessment":
            page.keyboard.press("Enter")
            break
    page.wait_for_url(re.compile(r"/results"))
    assert "Your results" in page.content()
    context.close()


def test_question_numbers_close_up_when_a_question_hides_and_opens(
    live_server: str, chromium: Any, world: World
) -> None:
    """Numbers follow what is shown (1, 2, 3 …), also as answers reveal or hide a question."""
    page = chromium.new_page()
    sign_in(page, live_server, world.operator_a)
    page.goto(live_server + "/assessments/")
    page.click("button.usa-button--big")
    page.wait_for_url(re.compile(r"/steps/0"))
    numbers_js = """Array.from(document.querySelectorAll('fieldset[data-question]'))
        .filter(f => !f.hidden)
        .map(f => [f.dataset.question, f.querySelector('.portal-question__number').textContent])"""

    def numbered() -> list[list[str]]:
        rows: list[list[str]] = page.evaluate(numbers_js)
        assert [n for _, n in rows] == [f"{i}." for i in range(1, len(rows) + 1)], rows
        return rows

    owner = page.locator('fieldset[data-question="core.ot_security_owner"]')
    yes, no = 'label[for="a__core__runs_ot-0"]', 'label[for="a__core__runs_ot-1"]'
    page.click(no)  # (USWDS tiles: the label takes the click)
    owner.wait_for(state="hidden")
    closed = numbered()
    page.click(yes)
    owner.wait_for(state="visible")
    opened = numbered()
    assert len(opened) == len(closed) + 1
    assert "core.ot_security_owner" in [q for q, _ in opened]
    page.click(no)
    owner.wait_for(state="hidden")
    assert numbered() == closed
    # The section's count and the overall figure follow, without a reload.
    shown = len(closed)
    chosen = page.evaluate(
        "document.querySelectorAll('fieldset[data-question]:not([hidden]) input:checked').length"
    )
    count = page.locator(".usa-current .portal-steps__count").inner_text()
    assert count.startswith(f"{chosen}/{shown}"), count
    overall_before = page.locator(".portal-steps__overall strong").inner_text()
    unanswered = page.evaluate(
        """Array.from(document.querySelectorAll('fieldset[data-question]:not([hidden])'))
            .filter(f => !f.querySelector('input:checked'))
            .map(f => f.querySelector('input[type=radio]').id)"""
    )
    assert unanswered  # (the profile questions come pre-filled; the rest are open)
    for radio_id in unanswered:
        page.click(f'label[for="{radio_id}"]')
    count = page.locator(".usa-current .portal-steps__count").inner_text()
    assert count.startswith(f"{shown}/{shown}") and "complete" in count, count
    answered, total = (int(n) for n in overall_before.split(" of "))
    assert page.locator(".portal-steps__overall strong").inner_text() == (
        f"{answered + len(unanswered)} of {total}"
    )
    page.close()
