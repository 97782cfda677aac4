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


def test_answers_that_need_a_look_come_first_and_the_rest_are_folded(
    app: Flask, world: World
) -> None:
    assessment_id = submit_assessment(app, world)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    url = f"/review/assessments/{assessment_id}"
    page = BeautifulSoup(coordinator.get(url).get_data(as_text=True), "html.parser")
    sections = page.select("section.portal-answers")
    assert sections
    folded_rows = 0
    for section in sections:
        fold = section.select_one("details.portal-answers-in-place")
        flagged = section.select("li.portal-answer--attention")
        # Flagged rows are outside any fold, and before it; the fold holds only rows in place.
        assert all(
            row.find_parent("details", class_="portal-answers-in-place") is None for row in flagged
        )
        if fold is not None:
            assert not fold.has_attr("open")
            rows = fold.select("li.portal-answer")
            assert rows and not fold.select("li.portal-answer--attention")
            count = int(fold.select_one("summary").get_text().split()[0])
            assert count == len(rows)
            folded_rows += len(rows)
    assert folded_rows > 20  # most of a mostly-fine assessment is folded
    opened = BeautifulSoup(coordinator.get(url + "?show=all").get_data(as_text=True), "html.parser")
    assert all(d.has_attr("open") for d in opened.select("details.portal-answers-in-place"))
    only = BeautifulSoup(
        coordinator.get(url + "?show=attention").get_data(as_text=True), "html.parser"
    )
    assert not only.select("details.portal-answers-in-place")
