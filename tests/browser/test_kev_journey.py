"""Known-exploited vulnerabilities in a real browser, on the shipped KEV snapshot: an operator
lists what the hospital runs (one name needs the suggestion step), sees the matches on the
product page, the results page and in the plan PDF's text; the coordinator sees the exposure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from portal.kev.catalog import SNAPSHOT
from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD, World, submit_assessment
from tests.kev.catalogs import load
from tests.web import pages_text


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def choose(page: Any, name: str, value: str) -> None:
    """Click the label of a radio button, as a person does (USWDS hides the real input)."""
    radio = page.locator(f"input[name={name}][value={value}]")
    page.click(f"label[for='{radio.get_attribute('id')}']")


def add(page: Any, category: str, vendor: str, product: str, version: str, facing: str) -> None:
    page.select_option("#category", category)
    page.fill("#vendor", vendor)
    page.fill("#product", product)
    page.fill("#version", version)
    choose(page, "internet_facing", facing)
    page.click("button:has-text('Add the product')")
    page.wait_for_load_state()


def test_products_matched_on_the_results_page_and_in_the_plan(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    load(app, SNAPSHOT.read_bytes(), source=str(SNAPSHOT))
    assessment_id = submit_assessment(app, world)
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, world.operator_a)

    page.click("text=What you run")
    page.wait_for_selector("h1:has-text('What you run')")
    add(page, "edge", "", "FortiGate", "7.0.12", "yes")
    assert "CISA lists" in page.content()  # the flash names how many flaws
    # A name the catalog does not know as typed: the form offers the product it probably is.
    add(page, "control_systems", "Unitronics", "Vison PLC", "", "no")
    assert "We could not find" in page.content()
    page.click("label:has-text('Unitronics Vision')")
    page.click("button:has-text('Save this product')")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "Fortinet FortiOS" in text and "Unitronics Vision" in text
    assert "CVE-2023-6448" in text  # Unitronics Vision PLC and HMI: the 2023 water attacks
    assert "check your version" in text and "not proven safe" in text  # the honest limits
    page.screenshot(path=str(shots / "kev-products.png"), full_page=True)
    assert serious_violations(page) == []

    page.goto(f"{live_server}/assessments/{assessment_id}/results")
    results = page.inner_text("main")
    assert "Known-exploited flaws in what you run" in results
    assert "CVE-2023-6448" in results and "Fortinet FortiOS" in results
    page.screenshot(path=str(shots / "kev-results.png"), full_page=True)
    assert serious_violations(page) == []

    with page.expect_download(timeout=90_000) as download:
        page.click("text=Download the plan (PDF)")
    pdf = shots / "kev-plan.pdf"  # kept beside the screenshots, to look at
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    plan = " ".join(pages_text(pdf.read_bytes()))
    assert "Known-exploited flaws in what you run" in plan
    assert "CVE-2023-6448" in plan and "Fortinet FortiOS" in plan
    context.close()

    coordinator = chromium.new_page()
    sign_in(coordinator, live_server, world.coordinator_x)
    coordinator.click("text=Exposure")
    coordinator.wait_for_load_state()
    exposure = coordinator.inner_text("main")
    assert "Fortinet FortiOS" in exposure and "Unitronics Vision" in exposure
    coordinator.screenshot(path=str(shots / "kev-exposure.png"), full_page=True)
    assert serious_violations(coordinator) == []
    coordinator.close()


def test_a_match_is_settled_on_a_phone_in_a_few_taps(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    """ScreenConnect 23.9.8 is the vendor's fixed release: on a 360 px phone the operator opens
    a flaw from their products, marks it fixed in the version they run, and it is settled."""
    load(app, SNAPSHOT.read_bytes(), source=str(SNAPSHOT))
    context = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, world.operator_a)
    page.goto(live_server + "/organization/products/")
    add(page, "remote_support", "ConnectWise", "ScreenConnect", "23.9.8", "yes")
    section = page.locator(".portal-kev__product").first
    assert "3 open flaws" in section.inner_text()
    section.locator("a:has-text('Update')").first.click()
    page.wait_for_selector("h1:has-text('on ConnectWise ScreenConnect')")
    assert "Open the vendor's advisory" in page.inner_text("main")
    page.screenshot(path=str(shots / "kev-settle-phone.png"), full_page=True)
    assert serious_violations(page) == []
    choose(page, "state", "fixed")
    page.fill("#running_version", "23.9.8")
    page.click("button:has-text('Save')")
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "2 open flaws, 1 settled flaw" in text and "fixed in 23.9.8" in text.lower()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a phone ({width} px)"
    page.screenshot(path=str(shots / "kev-settled-phone.png"), full_page=True)
    assert serious_violations(page) == []
    context.close()
