"""PDFs on the RQ job queue (REDIS_URL set), with a real Redis and a real (in-process) worker."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from rq import Queue

from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.models import AuditEvent
from tests.factories import World, add_tool_request, submit_assessment
from tests.web import burst_worker, login


def _work(app: Flask, connection: Any) -> None:
    """What `rq worker` does in production: take the queued jobs and run them."""
    queue = Queue(app.config["PDF_QUEUE"], connection=connection)
    burst_worker([queue], connection).work(burst=True)


def test_the_plan_is_queued_shows_progress_and_downloads_when_ready(
    app: Flask, world: World, with_redis: Any
) -> None:
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    url = f"/assessments/{assessment_id}/plan.pdf"

    waiting = operator.get(url)
    assert waiting.status_code == 202
    page = waiting.get_data(as_text=True)
    assert "Preparing your PDF" in page and "remediation plan" in page
    assert f'data-progress-url="{url}?progress=1"' in page
    assert operator.get(f"{url}?progress=1").get_json() == {"state": "queued", "position": 0}
    assert operator.get(url).status_code == 202  # asking again does not queue a second job
    assert Queue(app.config["PDF_QUEUE"], connection=with_redis).count == 1

    _work(app, with_redis)
    assert operator.get(f"{url}?progress=1").get_json() == {"state": "ready"}
    done = operator.get(url)
    assert done.status_code == 200 and done.mimetype == "application/pdf"
    assert done.get_data().startswith(b"%PDF")
    with app.app_context():
        downloads = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "assessment.plan_downloaded")
        ).all()
        assert len(downloads) == 1  # progress polls are not downloads

    # Another organization cannot see even the progress of this PDF.
    other = app.test_client()
    login(other, world.operator_b)
    assert other.get(f"{url}?progress=1").status_code == 404


def test_the_plan_with_answers_keeps_its_parameter_while_it_waits(
    app: Flask, world: World, with_redis: Any
) -> None:
    """The "preparing" page of the longer plan polls and downloads the longer plan, not the
    short one: the two are different jobs."""
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    url = f"/assessments/{assessment_id}/plan.pdf?answers=1"
    page = operator.get(url).get_data(as_text=True)
    assert f'data-progress-url="{url}&amp;progress=1"' in page
    assert operator.get(f"/assessments/{assessment_id}/plan.pdf").status_code == 202
    assert Queue(app.config["PDF_QUEUE"], connection=with_redis).count == 2
    _work(app, with_redis)
    done = operator.get(url)
    assert done.mimetype == "application/pdf"
    assert "with-answers" in done.headers["Content-Disposition"]


def test_a_failed_job_is_reported_and_can_be_tried_again(
    app: Flask, world: World, with_redis: Any
) -> None:
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    url = f"/assessments/{assessment_id}/plan.pdf"
    app.config["PDF_RENDER_TIMEOUT"] = 0.01  # no plan renders that fast: the job times out
    try:
        assert operator.get(url).status_code == 202
        _work(app, with_redis)
        failed = operator.get(f"{url}?progress=1").get_json()
        assert failed["state"] == "failed" and "too long" in failed["title"]
    finally:
        app.config["PDF_RENDER_TIMEOUT"] = 30.0
    # The failed job is gone: the next request starts a new one, which succeeds.
    assert operator.get(url).status_code == 202
    _work(app, with_redis)
    assert operator.get(url).mimetype == "application/pdf"


def test_without_redis_reachable_the_pdf_renders_inline(
    app: Flask, world: World, with_redis: Any
) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:6390/0"  # nothing listens there
    app.extensions.pop("portal.redis", None)
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    response = operator.get(f"/assessments/{assessment_id}/plan.pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF")


def test_the_tool_request_pdf_takes_the_same_path(
    app: Flask, world: World, with_redis: Any
) -> None:

    assessment_id = submit_assessment(app, world)
    with app.app_context():
        # Unique, so that no PDF cached by an earlier run can answer.
        row = add_tool_request(world.org_a, assessment_id, justification=f"Our gaps {uuid.uuid4()}")
        db.session.commit()
        request_id = row.id
    operator = app.test_client()
    login(operator, world.operator_a)
    url = f"/tool-requests/{request_id}.pdf"
    page = operator.get(url)
    assert page.status_code == 202 and "Tool-access request" in page.get_data(as_text=True)
    _work(app, with_redis)
    assert operator.get(url).mimetype == "application/pdf"


def test_a_finished_job_serves_every_app_server_and_a_stalled_one_renders_inline(
    app: Flask, world: World, with_redis: Any, tmp_path: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from rq.job import Job

    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    url = f"/assessments/{assessment_id}/plan.pdf"
    saved_cache = app.config.get("PDF_CACHE_DIR")
    try:
        app.config["PDF_CACHE_DIR"] = str(tmp_path / "host-a")
        assert operator.get(url).status_code == 202
        _work(app, with_redis)
        assert operator.get(f"{url}?progress=1").get_json() == {"state": "ready"}
        # The download reaches another server, with an empty disk cache: Redis still has it.
        app.config["PDF_CACHE_DIR"] = str(tmp_path / "host-b")
        assert operator.get(url).mimetype == "application/pdf"

        # No worker takes a job for too long: the web process renders it itself.
        app.config["PDF_CACHE_DIR"] = str(tmp_path / "host-c")
        # This run's jobs only (named after its queue): their results expired, say.
        for key in with_redis.scan_iter(f"rq:job:{app.config['PDF_QUEUE']}-*"):
            with_redis.delete(key)
        assert operator.get(url).status_code == 202
        queue = Queue(app.config["PDF_QUEUE"], connection=with_redis)
        job = Job.fetch(queue.job_ids[0], connection=with_redis)
        job.enqueued_at = datetime.now(UTC) - timedelta(hours=1)
        job.save()
        late = operator.get(url)
        assert late.status_code == 200 and late.get_data().startswith(b"%PDF")
    finally:
        app.config["PDF_CACHE_DIR"] = saved_cache


def test_the_deployed_worker_command_renders_a_queued_plan(
    app: Flask, world: World, with_redis: Any
) -> None:
    """The RQ worker exactly as deploy/systemd starts it (its own process, `-c
    portal.rq_settings` loading the portal once), run until the queue is empty."""
    unit = (PROJECT_ROOT / "deploy/systemd/readiness-portal-worker@.service").read_text()
    command = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert command, "the worker unit's ExecStart changed shape"
    here = {
        "/srv/readiness-portal/.venv/bin/rq": str(Path(sys.executable).parent / "rq"),
        "%i": app.config["PDF_QUEUE"],
    }
    argv = [here.get(part, part) for part in shlex.split(command.group(1))]
    assert argv[1:6] == ["worker", "-c", "portal.rq_settings", "-w", "portal.worker.Worker"]
    # No Redis address on the command line (its password would show in `ps`): the settings
    # module reads REDIS_URL from the environment, which the unit's EnvironmentFile gives.
    assert not any("redis://" in part or "REDIS_URL" in part for part in argv)
    assessment_id = submit_assessment(app, world)
    operator = app.test_client()
    login(operator, world.operator_a)
    url = f"/assessments/{assessment_id}/plan.pdf"
    assert operator.get(url).status_code == 202
    worker = subprocess.run(
        [*argv, "--burst"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "REDIS_URL": app.config["REDIS_URL"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert "Job OK" in worker.stderr + worker.stdout
    done = operator.get(url)
    assert done.status_code == 200 and done.get_data().startswith(b"%PDF")
