"""The expert's 25-bed hospital (tests/domain/operators.py) in a real browser, on a desktop and
a 360 px phone: the results page says its critical gaps once, apart from what it does not know,
opens the plan with This week, and tells who decides each service; the services page requests
only the state's own and shows how to apply for the rest. axe-clean, no sideways scrolling;
screenshots in the browser artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from portal.kev.catalog import SNAPSHOT
from portal.questionnaire.model import Question
from tests.browser.conftest import serious_violations
from tests.domain.operators import HOSPITAL, answers_of
from tests.factories import PASSWORD, World, submit_assessment
from tests.kev.catalogs import load, type_products
from tests.web import login


def _hospital(app: Flask, world: World) -> int:
    load(app, SNAPSHOT.read_bytes(), source=str(SNAPSHOT))
    client = app.test_client()
    login(client, world.operator_a)
    type_products(client, HOSPITAL.products)
    with app.app_context():
        from portal import questionnaire_versions

        answers = answers_of(questionnaire_versions.current(), HOSPITAL)

    def answer(question: Question) -> str:
        return str(answers[question.id])

    return submit_assessment(app, world, answer=answer)


def test_the_hospital_reads_its_results_and_services_on_desktop_and_phone(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    assessment = _hospital(app, world)
    found: dict[str, list[str]] = {}
    for name, (width, height) in (("desktop", (1280, 900)), ("phone", (360, 740))):
        context = chromium.new_context(
            viewport={"width": width, "height": height}, is_mobile=name == "phone"
        )
        page = context.new_page()
        page.goto(live_server + "/login")
        page.fill("#email", world.operator_a)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/assessments/{assessment}/results")
        critical = page.locator("#critical-gaps").inner_text()
        count = page.locator(".portal-critical__item").count()
        assert f"({count})" in critical and count >= 10
        assert f"{count} critical gaps" in page.locator(".portal-next-steps").inner_text()
        page.click("button:has-text('Your 30/60/90-day plan')")
        week = page.locator(".portal-first-five h3").all_inner_texts()
        assert week[1].startswith("Close remote desktop and admin pages to the internet")
        assert page.locator("#this-week").is_visible()
        page.click("button:has-text('Services you can apply for')")
        cards = page.locator("#details-services").inner_text()
        assert "CISA decides: apply directly" in cards
        assert "Who can get it:" in cards and "(checked Dec" in cards
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name}: {scroll} px wide"
        page.screenshot(path=str(shots / f"expert-hospital-results-{name}.png"), full_page=True)
        if problems := serious_violations(page):
            found[f"results-{name}"] = problems

        page.goto(f"{live_server}/assessments/{assessment}/tool-requests/new")
        boxes = page.locator("input[name=tools]")
        # World's hospital is a public (district) hospital: SLCGP subgrants and MS-ISAC
        # membership are open to it; only the state's own two are requested here.
        assert sorted(boxes.nth(i).get_attribute("value") for i in range(boxes.count())) == [
            "slcgp_grant",
            "state_cyber_assistance",
        ]
        direct = page.locator("#apply-cisa_vuln_scanning")
        assert "CISA decides" in direct.inner_text()
        assert direct.locator("a[href^='mailto:vulnerability@cisa.dhs.gov']").count() == 1
        assert "Free" in page.locator("#apply-cis_mdbr_hospitals").inner_text()
        assert "Needs a paid membership" in page.locator("#apply-ms_isac_membership").inner_text()
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name}: services page {scroll} px wide"
        page.screenshot(path=str(shots / f"expert-hospital-services-{name}.png"), full_page=True)
        if problems := serious_violations(page):
            found[f"services-{name}"] = problems
        context.close()
    assert found == {}, found
