"""The dashboard's county map in a real browser at 1280 and 360 px (#33): axe-clean, no sideways
scrolling, every county a named link or shape, the table beside it, and working without script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import serious_violations
from tests.browser.test_layout import sign_in
from tests.factories import World
from tests.review.program import build_ohio_program


def test_the_county_map_and_its_table_at_desktop_and_phone_width(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    build_ohio_program(app)
    for width, height in ((1280, 900), (360, 740)):
        for script in (True, False):
            context = chromium.new_context(
                viewport={"width": width, "height": height}, java_script_enabled=script
            )
            page = context.new_page()
            sign_in(page, live_server, world.coordinator_x)
            page.goto(live_server + "/review/dashboard?measure=critical_gaps#counties")
            page.wait_for_load_state()
            shapes = page.locator("svg.portal-county-map path")
            assert shapes.count() == 88
            franklin = page.locator('svg.portal-county-map a[href="/review/?fips=39049"]')
            assert franklin.count() == 1
            assert "Franklin County: with a critical gap 33 %" in (
                franklin.get_attribute("aria-label") or ""
            )
            box = page.locator("svg.portal-county-map").bounding_box()
            assert box is not None and box["width"] <= width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            table = page.get_by_role("table", name="Figures by county, Ohio (the map's figures)")
            assert "Franklin County" in table.inner_text()
            if script:
                assert serious_violations(page) == []
                page.locator("figure:has(svg.portal-county-map)").screenshot(
                    path=str(shots / f"county-map-{width}.png")
                )
                # Choosing another measure and pressing Show redraws the map (a plain GET form).
                page.select_option("#measure", "assessed")
                page.click("form.portal-map-form button[type=submit]")
                page.wait_for_load_state()
                assert "measure=assessed" in page.url
                assert "Franklin County: assessed in the last 12 months 83 %" in page.content()
            else:
                # Without script, the county link takes the coordinator to the filtered queue.
                franklin.click()
                page.wait_for_load_state()
                assert page.url.endswith("/review/?fips=39049")
                assert "Franklin Program Member 1" in page.content()
            context.close()


def test_missed_progress_and_grant_pages_read_well_at_desktop_and_phone_width(
    app: Flask, live_server: str, chromium: Any, world: World, shots: Path
) -> None:
    build_ohio_program(app)
    for width, height in ((1280, 900), (360, 740)):
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in(page, live_server, world.coordinator_x)
        for path, name in (
            ("/review/missed", "missed"),
            ("/review/progress", "progress"),
            ("/review/grant", "grant"),
        ):
            page.goto(live_server + path)
            page.wait_for_load_state()
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            assert serious_violations(page) == [], path
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            if name == "progress":
                panels = page.locator("svg.portal-small-multiple")
                assert panels.count() == 3
                for index in range(3):  # each panel is named for a screen reader
                    assert panels.nth(index).get_attribute("aria-labelledby")
        context.close()
