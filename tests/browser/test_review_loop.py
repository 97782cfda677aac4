"""The review loop in a real browser: a coordinator comments on an answer in its row and returns
the assessment (with a message, after a confirmation step); the operator follows the task list
straight to the question, replies, changes an answer and resubmits; the coordinator sees what
changed. Then the results page's first screen, check-your-answers, local time and phones.
axe-core (moderate findings and up) on every page on the way; screenshots are kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import serious_violations
from tests.browser.test_layout import sign_in
from tests.factories import World, submit_assessment

MFA = "core.mfa_remote_email"
ROW = f"li[id='row-{MFA}']"


def too_wide(page: Any, path: str) -> str:
    """The page's width at a 360 px screen, naming the widest elements when it scrolls."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= 360:
        return ""
    culprits = page.evaluate(
        """() => [...document.querySelectorAll('main *, header *, footer *')]
             .filter((e) => e.getBoundingClientRect().right > 361)
             .slice(0, 4).map((e) => e.tagName + '.' + e.className + ' '
               + Math.round(e.getBoundingClientRect().right))"""
    )
    return f"{path}: {width} px wide at a 360 px screen: {culprits}"


def look(page: Any, shots: Path, name: str, found: dict[str, list[str]], full: bool = True) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=full)
    problems = serious_violations(page)
    if problems:
        found[name] = problems


def test_return_reply_change_and_resubmit(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    found: dict[str, list[str]] = {}
    assessment = submit_assessment(app, world, notes={"core.security_lead": "Our CFO for now."})
    review_url = f"{live_server}/review/assessments/{assessment}"

    # The coordinator: answers grouped by section, a filter for those that need a look.
    coordinator = chromium.new_context().new_page()
    sign_in(coordinator, live_server, world.coordinator_x)
    coordinator.goto(review_url)
    assert coordinator.locator("section.portal-answers h3").count() > 3
    all_rows = coordinator.locator("li.portal-answer").count()
    coordinator.click("text=Show only those")
    coordinator.wait_for_load_state()
    flagged = coordinator.locator("li.portal-answer").count()
    assert 0 < flagged < all_rows
    assert coordinator.locator("li.portal-answer:not(.portal-answer--attention)").count() == 0
    assert coordinator.locator(f"{ROW} .usa-tag").count() >= 1

    # Comment in the row itself; an empty comment is refused in the same row, nothing lost.
    row = coordinator.locator(ROW)
    row.locator("summary").click()
    row.locator("button:has-text('Add comment')").click()
    coordinator.wait_for_load_state()
    row = coordinator.locator(ROW)
    assert "Write the comment." in row.inner_text()
    row.locator("textarea").fill("MFA on remote email: which accounts still lack it?")
    row.locator("button:has-text('Add comment')").click()
    coordinator.wait_for_load_state()
    assert coordinator.url.endswith(f"#row-{MFA}")
    assert "which accounts still lack it?" in coordinator.locator(ROW).inner_text()
    look(coordinator, shots, "review-loop-01-coordinator-comment", found)

    # Return asks for a message, then confirms.
    coordinator.click("text=Return for revision…")
    coordinator.wait_for_url(re.compile(r"/return$"))
    look(coordinator, shots, "review-loop-02-return-confirm", found)
    assert "which accounts still lack it?" in coordinator.inner_text("main")
    coordinator.click("button:has-text('Return for revision')")
    coordinator.wait_for_load_state()
    assert "Say what needs changing" in coordinator.inner_text("main")
    coordinator.fill("#message", "One answer to look at again, then resubmit.")
    coordinator.click("button:has-text('Return for revision')")
    coordinator.wait_for_load_state()
    assert "Returned for revision" in coordinator.inner_text("main")

    # The operator: home names what needs changing; one click reaches the question.
    operator = chromium.new_context().new_page()
    sign_in(operator, live_server, world.operator_a)
    operator.goto(live_server + "/")
    assert "1 question needs changes" in operator.inner_text("main")
    look(operator, shots, "review-loop-03-operator-home", found)
    operator.click("a.portal-task-list__link")
    operator.wait_for_load_state()
    assert operator.url.endswith(f"#q-{MFA}")
    question = operator.locator(f"fieldset[id='q-{MFA}']")
    assert question.is_visible()
    assert "which accounts still lack it?" in question.inner_text()
    assert "Needs changes" in operator.locator(".portal-steps .usa-current").inner_text()
    look(operator, shots, "review-loop-04-step-with-comment", found)

    # Reply to the comment; the task list says so.
    question.locator("text=Reply to the comment").click()
    operator.wait_for_load_state()
    look(operator, shots, "review-loop-05-reply", found)
    operator.fill("#body", "All staff mailboxes have it now; two service accounts do not.")
    operator.click("button:has-text('Send reply')")
    operator.wait_for_load_state()
    assert operator.url.endswith(f"#q-{MFA}")
    assert "two service accounts do not" in operator.locator(f"fieldset[id='q-{MFA}']").inner_text()
    operator.goto(live_server + "/assessments/")
    assert "Your coordinator's comments are all dealt with" in operator.inner_text("main")
    assert "replied" in operator.locator(".portal-task-list").inner_text().lower()

    # Change an answer from check-your-answers, then resubmit.
    operator.click("text=Check your answers and resubmit")
    operator.wait_for_load_state()
    look(operator, shots, "review-loop-06-check-your-answers", found)
    change = operator.locator(f"a[href$='#q-{MFA}']").first
    change.click()
    operator.wait_for_load_state()
    options = operator.locator(f"fieldset[id='q-{MFA}'] input[type=radio]")
    checked = next(i for i in range(options.count()) if options.nth(i).is_checked())
    target = options.nth(0 if checked else 1)
    operator.click(f"label[for='{target.get_attribute('id')}']")
    operator.wait_for_function(
        "(selector) => document.querySelector(selector).dataset.state === 'saved'",
        arg=f"fieldset[id='q-{MFA}'] .portal-field-status",
    )
    # The save's news is beside the question, in a polite live region.
    status = operator.locator(f"fieldset[id='q-{MFA}'] .portal-field-status")
    assert status.get_attribute("aria-live") == "polite" and "Saved" in status.inner_text()
    operator.goto(f"{live_server}/assessments/{assessment}/review")
    operator.click("text=Submit the assessment")
    operator.wait_for_url(re.compile(r"/results"))

    # The coordinator sees what changed since the return, and the reply in the row.
    coordinator.goto(review_url)
    since = coordinator.locator(".portal-since-return").inner_text()
    assert "Changed since you returned it" in since and "EST" in since
    assert "mfa for email" in since.lower() and "→" in since
    row_text = coordinator.locator(ROW).inner_text()
    assert "two service accounts do not" in row_text
    look(coordinator, shots, "review-loop-07-resubmitted", found)
    coordinator.context.close()
    operator.context.close()
    assert found == {}, found


def test_results_lead_with_the_next_steps_on_desktop_and_phone(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    found: dict[str, list[str]] = {}
    assessment = submit_assessment(app, world)
    for name, viewport in (("desktop", (1280, 800)), ("phone", (360, 740))):
        context = chromium.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, is_mobile=name == "phone"
        )
        page = context.new_page()
        sign_in(page, live_server, world.operator_a)
        page.goto(f"{live_server}/assessments/{assessment}/results")
        page.screenshot(path=str(shots / f"results-first-screen-{name}.png"))
        for button in ("Download the plan (PDF)", "Services and how to apply"):
            box = page.locator(f"a.usa-button:has-text('{button}')").first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= viewport[1], (
                f"{name}: '{button}' at {box}, below the first screen"
            )
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"results page, {name}: {height} px tall with its accordions closed")
        # The details are closed accordions; the chart's tier lines carry their names.
        assert page.locator(".usa-accordion__content:visible").count() == 0
        page.click("button:has-text('Score per defensive priority')")
        chart = page.locator("#details-scores svg.portal-chart:visible")
        assert "Established 70" in chart.text_content()
        # Text in the chart is drawn at 12 px or more on this screen.
        smallest = page.evaluate(
            """() => Math.min(...[...document.querySelectorAll(
                 '#details-scores svg.portal-chart')].filter((s) => s.getBoundingClientRect().width)
                 .flatMap((s) => [...s.querySelectorAll('text')]
                 .map((t) => t.getBoundingClientRect().height)))"""
        )
        assert smallest >= 12, f"{name}: chart text {smallest:.1f} px tall"
        # A service the state gives has its own request button; the others say who decides.
        page.click("button:has-text('Services you can apply for')")
        services = page.locator("#details-services")
        assert services.locator("a:has-text('Request it from your coordinator')").count() > 0
        assert "decides: apply directly" in services.inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport[0], f"{name}: {width} px wide"
        look(page, shots, f"results-details-{name}", found, full=False)
        context.close()
    assert found == {}, found


def test_a_phone_shows_local_time_and_folds_the_queue_filters(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    """(That every page fits a phone, in every state: tests/browser/test_phone_sweep.py.)"""
    found: dict[str, list[str]] = {}
    submit_assessment(app, world)
    context = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, world.operator_a)
    # The organization is in Ohio: its people see Eastern time, named.
    page.goto(live_server + "/assessments/")
    assert re.search(r"\d{1,2}:\d{2} [AP]M E[SD]T", page.inner_text("main"))
    page.goto(live_server + "/organization/")
    look(page, shots, "phone-organization", found)
    context.close()

    # The queue's filters sit behind one button on a phone.
    context = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, world.coordinator_x)
    page.goto(live_server + "/review/")
    assert not page.locator("#sector").is_visible()
    page.click("summary:has-text('Filter and sort')")
    assert page.locator("#sector").is_visible()
    look(page, shots, "phone-queue-filters", found)
    context.close()
    assert found == {}, found
