from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.assessments import lifecycle, reading
from portal.extensions import db
from portal.models import Answer, Organization, User
from tests.conftest import World


class Canary:
    """A loopback HTTP server that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.close()


def hostile_strings(canary_url: str) -> list[str]:
    return [
        f'<img src="{canary_url}/img">',
        '<img src="file:///etc/passwd">',
        f'<link rel="attachment" href="{canary_url}/attach"><link rel="attachment" '
        'href="file:///etc/hostname">',
        f"<style>@import url({canary_url}/import.css); body {{ background: "
        f"url({canary_url}/bg.png) }}</style>",
        f"url({canary_url}/css-url)",
    ]


def submit_assessment(
    app: Flask, world: World, *, notes: dict[str, str] | None = None, org_name: str | None = None
) -> int:
    """A submitted hospital assessment for world.org_a, answered straight through the service."""
    with app.test_request_context():
        org = db.session.get(Organization, world.org_a)
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert org is not None and user is not None
        if org_name is not None:
            org.name = org_name
        assessment = lifecycle.start(org, user)
        questionnaire = reading.questionnaire_of(assessment)
        for question in questionnaire.questions_in(assessment.modules):
            worst = question.profile is False and question.critical
            value = (
                min(question.options, key=lambda o: o.points or 0).value
                if worst
                else question.options[0].value
            )
            if question.id == "core.kev_tracking":
                value = "dont_know"
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=question.id,
                    value=value,
                    note=(notes or {}).get(question.id, ""),
                    updated_by_id=user.id,
                )
            )
        db.session.flush()
        lifecycle.submit(assessment, user)
        db.session.commit()
        return assessment.id
