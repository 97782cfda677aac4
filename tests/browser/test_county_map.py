"""The state program's pages in a real browser at 1280 and 360 px (#33): the dashboard's county
map, what most organizations miss, progress over time and the grant pack — axe-clean, no
sideways scrolling, every county a named link or shape, the table beside the map, small
multiples named for a screen reader, and the map's links working without script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import serious_violations
from tests.browser.test_layout import sign_in
from tests.factories import World
from tests.review.program import build_ohio_program

PAGES = (
    ("/review/dashboard?measure=critical_gaps", "county-map"),
    ("/review/missed", "missed"),
    ("/review/progress", "progress"),
    ("/review/grant", "grant"),
)


def test_the_program_pages_at_desktop_and_phone_width(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    build_ohio_program(app)
    for width, height in ((1280, 900), (360, 740)):
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in(page, live_server, world.coordinator_x)
        for path, name in PAGES:
            page.goto(live_server + path)
            page.wait_for_load_state()
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            assert serious_violations(page) == [], path
            if name == "county-map":
                _check_the_map(page, width)
                figure = page.locator("figure:has(svg.portal-county-map)")
                figure.screenshot(path=str(shots / f"{name}-{width}.png"))
            else:
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=width > 360)
            if name == "progress":
                panels = page.locator("svg.portal-small-multiple")
                assert panels.count() == 3  # everyone, electric, water
                for index in range(3):  # each panel is named for a screen reader
                    assert panels.nth(index).get_attribute("aria-labelledby")
        if width == 1280:
            # Choosing another measure and pressing Show redraws the map (a plain GET form).
            page.goto(live_server + "/review/dashboard")
            page.select_option("#measure", "assessed")
            page.click("form.portal-map-form button[type=submit]")
            page.wait_for_load_state()
            assert "measure=assessed" in page.url
            assert "Franklin County: assessed in the last 12 months 83 %" in page.content()
        context.close()
    # Without script, a county is a plain link to the queue filtered to it.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    sign_in(page, live_server, world.coordinator_x)
    page.goto(live_server + "/review/dashboard")
    page.locator('svg.portal-county-map a[href="/review/?fips=39049"]').click()
    page.wait_for_load_state()
    assert page.url.endswith("/review/?fips=39049")
    assert "Franklin Program Member 1" in page.content()
    context.close()


def _check_the_map(page: Any, width: int) -> None:
    shapes = page.locator("svg.portal-county-map path")
    assert shapes.count() == 88  # Ohio's counties, one path each
    franklin = page.locator('svg.portal-county-map a[href="/review/?fips=39049"]')
    assert franklin.count() == 1
    assert "Franklin County: with a critical gap 33 %" in (
        franklin.get_attribute("aria-label") or ""
    )
    box = page.locator("svg.portal-county-map").bounding_box()
    assert box is not None and box["width"] <= width
    table = page.get_by_role("table", name="Figures by county, Ohio (the map's figures)")
    assert "Franklin County" in table.inner_text()
