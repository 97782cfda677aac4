"""The coordinator's summary of a held rating (issue #34): short sentences and a list, one line
per critical gap, so the count in the title and the list agree, and no ".;" or "?;" joins."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from flask import Flask

from tests.factories import World, submit_assessment
from tests.web import login


def test_the_held_rating_is_sentences_and_a_list(app: Flask, world: World) -> None:
    assessment_id = submit_assessment(app, world)  # worst on every critical question: held
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    page = BeautifulSoup(
        coordinator.get(f"/review/assessments/{assessment_id}").get_data(as_text=True),
        "html.parser",
    )
    summary = page.select_one(".portal-capped")
    assert summary is not None
    text = " ".join(summary.get_text(" ").split())
    held = re.search(r"held at [\w ]+? by (\d+) critical gaps", text)
    assert held, text
    items = summary.select("ol li")
    assert len(items) == int(held.group(1)) and f"The {held.group(1)} critical gaps and" in text
    assert all(li.get_text(strip=True) for li in items)
    assert ".;" not in text and "?;" not in text and "; " not in text
    assert len(summary.select("p")[0].get_text()) < 200  # a sentence, not a paragraph
