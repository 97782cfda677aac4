"""Plans ready when asked for: submitting starts the plan's render, so the first download is
served from the cache — in a thread of the web process without Redis, on the job queue with it.
While the thread is still at work, a download gets the "preparing" page, not a blank wait."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue

from portal.extensions import db
from portal.models import Answer, Assessment, AuditEvent
from portal.reports import documents, prerender
from tests.factories import World, submit_assessment
from tests.web import burst_worker, login, post_form


@pytest.fixture
def prerendering(app: Flask) -> Iterator[None]:
    app.config["PDF_PRERENDER"] = True
    try:
        yield
    finally:
        prerender.wait_for_prerenders()
        app.config["PDF_PRERENDER"] = False


def _resubmit(app: Flask, world: World) -> tuple[FlaskClient, int]:
    """A submitted assessment is returned and submitted again through the page, as an operator
    does, so the submission view runs."""
    first = submit_assessment(app, world)
    coordinator = app.test_client()
    login(coordinator, world.coordinator_x)
    review = f"/review/assessments/{first}"
    post_form(coordinator, f"{review}/return", {"message": "Again."}, page=f"{review}/return")
    operator = app.test_client()
    login(operator, world.operator_a)
    submitted = post_form(
        operator, f"/assessments/{first}/submit", {}, page=f"/assessments/{first}/review"
    )
    assert submitted.status_code == 302 and "/results" in submitted.headers["Location"]
    return operator, first


def _cached_downloads(app: Flask) -> list[bool]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "assessment.plan_downloaded")
        ).all()
        return [bool((e.details or {}).get("cached")) for e in events]


def test_without_redis_the_plan_renders_in_a_thread_after_submission(
    app: Flask, world: World, prerendering: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The render waits until the test lets it go, so "while it renders" is certain.
    release = threading.Event()
    real_render = documents.render_bounded

    def held_render(*args: Any, **kwargs: Any) -> bytes:
        assert release.wait(30), "the test never let the render go"
        return real_render(*args, **kwargs)

    monkeypatch.setattr(documents, "render_bounded", held_render)
    operator, assessment_id = _resubmit(app, world)
    url = f"/assessments/{assessment_id}/plan.pdf"
    # While the thread renders, a download shows progress instead of a second, blank render.
    early = operator.get(url)
    assert early.status_code == 202
    assert "Preparing your PDF" in early.get_data(as_text=True)
    assert operator.get(f"{url}?progress=1").get_json()["state"] == "rendering"
    release.set()
    prerender.wait_for_prerenders()
    started = time.perf_counter()
    done = operator.get(url)
    elapsed = time.perf_counter() - started
    assert done.status_code == 200 and done.get_data().startswith(b"%PDF")
    assert _cached_downloads(app) == [True], "the one download came from the cache"
    assert elapsed < 2, f"{elapsed:.2f} s for a cached plan"


def test_with_redis_down_the_submission_does_not_wait_for_a_render(
    app: Flask, world: World, prerendering: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_inline_render(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the submission rendered the plan itself")

    monkeypatch.setattr(documents, "render_bounded", no_inline_render)
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("portal.redis", None)
    try:
        _resubmit(app, world)  # the submission answers; the plan is made when asked for
    finally:
        app.config["REDIS_URL"] = saved
        app.extensions.pop("portal.redis", None)


def test_with_redis_submission_enqueues_the_render(
    app: Flask, world: World, prerendering: None, with_redis: Any
) -> None:
    operator, assessment_id = _resubmit(app, world)
    queue = Queue(app.config["PDF_QUEUE"], connection=with_redis)
    assert queue.count == 1, "the submission put the plan's render on the queue"
    burst_worker([queue], with_redis).work(burst=True)
    done = operator.get(f"/assessments/{assessment_id}/plan.pdf")
    assert done.status_code == 200 and done.get_data().startswith(b"%PDF")


def test_a_changed_plan_is_not_taken_from_an_earlier_render(
    app: Flask, world: World, prerendering: None
) -> None:
    operator, assessment_id = _resubmit(app, world)
    prerender.wait_for_prerenders()
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        before = documents.plan_key(assessment)
        row = db.session.scalars(
            sa.select(Answer).where(Answer.assessment_id == assessment_id)
        ).first()
        assert row is not None
        row.note = "changed after the render"
        db.session.commit()
        assert documents.plan_key(assessment) != before
    assert re.match(rb"%PDF", operator.get(f"/assessments/{assessment_id}/plan.pdf").get_data())
