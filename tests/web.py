"""Driving the app as a browser would, for every test module: CSRF tokens read from the page,
forms posted, signing in and out, the wizard page by page, counting queries."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from portal.extensions import db
from tests.factories import PASSWORD

CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        assert meta, "no CSRF token on the page"
        return meta.group(1)
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any
) -> Any:
    """GET the page (``page`` or ``url``), take its CSRF token, then POST ``data`` to ``url``."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)}, **kwargs)


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return post_form(client, "/login", {"email": email, "password": password}, **kwargs)


def logout(client: FlaskClient) -> Any:
    html = client.get("/").get_data(as_text=True)
    return client.post("/logout", data={"csrf_token": csrf_token(html)})


def watch_statements(app: Flask, listener: Callable[..., None], send: Callable[[], Any]) -> Any:
    """``send()``, with ``listener`` called before each SQL statement it executes."""
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        return send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def count_queries(app: Flask, send: Callable[[], Any]) -> tuple[int, Any]:
    """How many SQL statements ``send()`` executes, and what it returned."""
    count = 0

    def counter(*args: object) -> None:
        nonlocal count
        count += 1

    response = watch_statements(app, counter, send)
    return count, response


def parallel_guesses(app: Flask, emails: list[str]) -> list[int]:
    """A wrong-password sign-in for each of ``emails`` (repeats allowed), all sent at once."""

    clients = [app.test_client() for _ in emails]
    pages = [c.get("/login") for c in clients]  # CSRF tokens first, so the posts line up
    assert all(p.status_code == 200 for p in pages)
    barrier = threading.Barrier(len(emails))
    statuses: list[int] = []

    def guess(client: FlaskClient, email: str) -> None:
        barrier.wait(timeout=30)
        statuses.append(login(client, email, "parallel wrong guess").status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, emails, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(statuses) == len(emails)
    return statuses


Chooser = Callable[[str, list[str]], str | None]


def best_choice(question_id: str, values: list[str]) -> str | None:
    """The first option is the best one in every shipped question."""
    return values[0]


@dataclass
class Page:
    url: str
    html: str
    soup: BeautifulSoup

    @property
    def shown_questions(self) -> list[str]:
        return [
            fs["data-question"]
            for fs in self.soup.select("fieldset[data-question]")
            if not fs.has_attr("hidden")
        ]

    def options(self, question_id: str) -> list[str]:
        fs = self.soup.select_one(f'fieldset[data-question="{question_id}"]')
        return [i["value"] for i in fs.select('input[type="radio"]')]

    def fields(self) -> dict[str, str]:
        """What a browser would post: enabled fields with their current values."""
        data: dict[str, str] = {}
        for fs in self.soup.select("fieldset[data-question]"):
            if fs.has_attr("disabled"):
                continue
            for radio in fs.select('input[type="radio"][checked]'):
                data[radio["name"]] = radio["value"]
            for area in fs.select("textarea"):
                # Browsers drop one newline right after <textarea> (HTML spec); so do we.
                text = area.get_text()
                for newline in ("\r\n", "\n"):
                    if text.startswith(newline):
                        text = text[len(newline) :]
                        break
                data[area["name"]] = text
            for hidden in fs.select('input[type="hidden"]'):
                data[hidden["name"]] = hidden.get("value", "")
        restore = self.soup.select_one('input[name="restore_token"]')
        if restore:
            data["restore_token"] = restore["value"]
        return data


def field(prefix: str, question_id: str) -> str:
    return f"{prefix}__{question_id.replace('.', '__')}"


@dataclass
class Wizard:
    client: FlaskClient
    assessment_id: int
    posted: dict[str, str] = dataclass_field(default_factory=dict)  # every answer ever posted

    def page(self, number: int) -> Page:
        url = f"/assessments/{self.assessment_id}/steps/{number}"
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        return Page(url, html, BeautifulSoup(html, "html.parser"))

    def step_count(self) -> int:
        page = self.page(0)
        return len(page.soup.select("button.portal-steps__link"))

    def answer(
        self,
        number: int,
        chooser: Chooser = best_choice,
        notes: dict[str, str] | None = None,
        action: str = "next",
    ) -> Any:
        page = self.page(number)
        data = page.fields()
        for qid in page.shown_questions:
            value = chooser(qid, page.options(qid))
            if value is not None:
                data[field("a", qid)] = value
                self.posted[qid] = value
        for qid, note in (notes or {}).items():
            data[field("n", qid)] = note
        data["action"] = action
        data["csrf_token"] = csrf_token(page.html)
        return self.client.post(page.url, data=data)

    def fill_all(self, chooser: Chooser = best_choice) -> None:
        """Answer every shown question, step by step, re-reading pages as conditions change."""
        number = 0
        while True:
            count = self.step_count()
            if number >= count:
                break
            response = self.answer(number, chooser)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            number += 1
        # A later answer can reveal earlier questions (conditions); sweep once more.
        for number in range(self.step_count()):
            page = self.page(number)
            missing = [
                q
                for q in page.shown_questions
                if not page.soup.select(f'fieldset[data-question="{q}"] input[checked]')
            ]
            if missing:
                assert self.answer(number, chooser).status_code == 302


def start(client: FlaskClient) -> int:
    response = post_form(client, "/assessments/start", {}, page="/assessments/")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.search(r"/assessments/(\d+)/steps/0", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def autosave(client: FlaskClient, assessment_id: int, page_html: str, **payload: Any) -> Any:
    return client.post(
        f"/assessments/{assessment_id}/answers",
        json=payload,
        headers={"X-CSRFToken": csrf_token(page_html)},
    )


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text of a PDF, spaces folded (for asserting on what people read)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]


def calendar_window_of(event: Any) -> int:
    """The days after submission a plan's calendar event is due: 7 for this week's steps, a
    window's days for the window's."""
    summary = str(event["SUMMARY"])
    if summary.endswith("for this week"):
        return 7
    found = re.search(r"\((\d+)-day window\)", summary)
    assert found, summary
    return int(found.group(1))


def burst_worker(queues: list[Any], connection: Any) -> Any:
    """An RQ worker that runs the queued jobs in this process and stops — without its pub/sub
    thread: stopping that thread right after subscribing can wait out its 60-second poll
    (a race in redis-py's PubSubWorkerThread that shows when the machine is busy, as under
    pytest-xdist). The jobs run exactly as in a deployed worker."""
    from rq import SimpleWorker

    class Burst(SimpleWorker):
        def subscribe(self) -> None:  # no pub/sub (commands to a worker): not needed here
            pass

        def unsubscribe(self) -> None:
            pass

    return Burst(queues, connection=connection)
