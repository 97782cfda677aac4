"""An operator and a coordinator use the portal in a real browser, start to finish.

Register → fill in the whole assessment with autosave (closing the tab and coming back) →
submit → download the remediation plan → request a tool; the coordinator reviews and accepts,
then approves the request. axe-core checks every key page on the way; screenshots are kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD, World

EMAIL = "it-lead@pinegrove-water.example.org"


def check(page: Any, shots: Path, name: str, accessibility: dict[str, list[str]]) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    found = serious_violations(page)
    if found:
        accessibility[name] = found


def pick(page: Any, input_locator: Any) -> None:
    """Click the label, as a person does: USWDS draws its own box and hides the real input."""
    page.click(f"label[for='{input_locator.get_attribute('id')}']")


def register(page: Any, base: str, organization: str, email: str, password: str) -> None:
    """Register a water district in Pike County, Ohio, as a person fills the form in."""
    page.goto(base + "/register")
    page.fill("#organization_name", organization)
    pick(page, page.locator("input[name=sectors][value=water]"))
    pick(page, page.locator("input[name=ownership][value=public]"))
    page.select_option("#size_band", "micro")
    page.select_option("#state", "OH")
    page.fill("#county", "Pike")
    page.fill("#full_name", "Robin Lee")
    page.fill("#email", email)
    page.fill("#password", password)
    if page.locator("#confirm").count():
        page.fill("#confirm", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def answer_visible_questions(page: Any) -> None:
    """Answer every question shown, until none is left (show-if questions appear on the way)."""
    for _ in range(30):
        open_questions = page.locator(
            "fieldset.portal-question:not([hidden]):not(:has(input[type=radio]:checked))"
        )
        if open_questions.count() == 0:
            return
        # The second choice ("partly", "no"…): leaves gaps, so the plan has actions and tools.
        choices = open_questions.first.locator("input[type=radio]")
        pick(page, choices.nth(1 if choices.count() > 1 else 0))
        page.wait_for_timeout(50)


def wait_saved(page: Any) -> None:
    """Every autosave of the page done: each question's own status says "Saved at …"."""
    page.wait_for_function(
        """() => {
          const states = [...document.querySelectorAll('.portal-field-status')]
            .map((node) => node.dataset.state);
          return states.includes('saved') && !states.some((s) => s === 'saving');
        }""",
        timeout=10_000,
    )


def test_operator_and_coordinator_journey(
    live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    accessibility: dict[str, list[str]] = {}
    # The device keeps Hawaii's clock; the organization is in Ohio: times are Ohio's (#34).
    context = chromium.new_context(accept_downloads=True, timezone_id="Pacific/Honolulu")
    page = context.new_page()

    page.goto(live_server + "/")
    assert "Readiness Portal" in page.title()
    check(page, shots, "01-home", accessibility)
    page.goto(live_server + "/login")
    check(page, shots, "02-login", accessibility)

    # Register the organization.
    register(page, live_server, "Pine Grove Water District", EMAIL, PASSWORD)
    # The same answer whether or not the address had an account: sign in next.
    assert "Sign in to continue" in page.content()
    page.click("text=Sign in >> nth=-1")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "Signed in as" in page.content() or "Robin Lee" in page.content()

    # Start, answer the first step by autosave only, close the tab, come back.
    page.goto(live_server + "/assessments/")
    page.click("text=Start the assessment")
    page.wait_for_url(re.compile(r"/steps/\d+"))
    first_step = page.url
    answer_visible_questions(page)
    wait_saved(page)
    saved = page.locator(".portal-field-status[data-state=saved]").first.inner_text()
    assert re.fullmatch(r"Saved at \d{1,2}:\d{2}\s[AP]M E[SD]T", saved), saved  # Ohio: EST or EDT
    check(page, shots, "03-wizard-step-1", accessibility)
    page.close()

    page = context.new_page()
    page.goto(first_step)
    answered = page.locator("fieldset.portal-question:not([hidden]) input[type=radio]:checked")
    assert answered.count() == page.locator("fieldset.portal-question:not([hidden])").count() > 0

    # Every step: answer, save and continue; then the review page.
    for number in range(1, 40):
        page.click("button[value=next], button[value=review]")
        page.wait_for_load_state()
        if "/review" in page.url:
            break
        answer_visible_questions(page)
        check(page, shots, f"04-wizard-step-{number + 1:02d}", accessibility)
    assert "/review" in page.url
    check(page, shots, "05-review", accessibility)
    page.click("text=Submit the assessment")
    page.wait_for_url(re.compile(r"/results"))
    check(page, shots, "06-results", accessibility)

    # The remediation plan downloads as a PDF.
    with page.expect_download(timeout=60_000) as download:
        page.click("text=Download the plan (PDF)")  # the first screen's button
    pdf_path = download.value.path()
    assert Path(pdf_path).read_bytes()[:5] == b"%PDF-"

    # Ask the coordinator for the state's own services (the others are applied for directly).
    page.click("a:has-text('Services and how to apply')")
    assert page.locator("#apply-directly").count() == 1
    boxes = page.locator("input[name=tools]")
    assert boxes.first.is_checked()  # the best-ranked service comes ticked
    # The pre-filled reason follows the ticks: none ticked, no gap listed; one, its gaps.
    for index in range(boxes.count()):
        if boxes.nth(index).is_checked():
            pick(page, boxes.nth(index))
    assert "\n- " not in page.input_value("#justification")
    pick(page, boxes.last)
    assert "\n- " in page.input_value("#justification")
    page.click("text=Send the request")
    page.wait_for_load_state()
    assert "sent to your coordinator" in page.content()
    context.close()

    # The coordinator reviews, accepts, and approves the request.
    coordinator = chromium.new_context().new_page()
    coordinator.goto(live_server + "/login")
    coordinator.fill("#email", world.coordinator_x)
    coordinator.fill("#password", PASSWORD)
    coordinator.click("button[type=submit]")
    coordinator.goto(live_server + "/review/")
    check(coordinator, shots, "07-coordinator-queue", accessibility)
    coordinator.click("text=Pine Grove Water District")
    coordinator.wait_for_load_state()
    check(coordinator, shots, "08-coordinator-assessment", accessibility)
    coordinator.click("button:has-text('Accept')")
    coordinator.wait_for_load_state()
    assert "accepted" in coordinator.content().lower()
    coordinator.goto(live_server + "/review/dashboard")
    check(coordinator, shots, "09-coordinator-dashboard", accessibility)
    coordinator.goto(live_server + "/review/tool-requests")
    coordinator.locator("table a.usa-link").first.click()
    coordinator.wait_for_load_state()
    check(coordinator, shots, "10-coordinator-tool-request", accessibility)
    pick(coordinator, coordinator.locator("input[name=action][value=approve]"))
    coordinator.click("text=Record decision")
    coordinator.wait_for_load_state()
    assert "approved" in coordinator.content().lower()
    coordinator.context.close()

    assert accessibility == {}, accessibility
