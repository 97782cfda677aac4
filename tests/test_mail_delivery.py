"""The outbox delivers: an SMTP outage delays mail and loses none, a refusal for good stops the
retries and shows to admins, the RQ path works with a real worker on the local Redis, and
production refuses to start with mail half configured."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.config import ConfigError
from portal.extensions import db
from portal.mail import outbox
from portal.models import OutboxMessage, OutboxStatus, User, utcnow
from tests.factories import World
from tests.smtp import SmtpServer
from tests.web import burst_worker, login, post_form


def ask_for_reset(app: Flask, email: str) -> None:
    post_form(app.test_client(), "/password/forgot", {"email": email}).close()
    outbox.wait_for_deliveries()


def rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in found:
            db.session.expunge(row)
        return found


def make_due(app: Flask) -> None:
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()


def test_an_smtp_outage_delays_mail_and_loses_none(
    app: Flask, world: World, mail_server: SmtpServer, runner: Any
) -> None:
    mail_server.stop()
    ask_for_reset(app, world.operator_a)
    ask_for_reset(app, world.operator_b)
    waiting = rows(app)
    assert [r.status for r in waiting] == [OutboxStatus.PENDING, OutboxStatus.PENDING]
    assert all(r.attempts == 1 and "Connection" in r.last_error for r in waiting)
    assert all(r.next_attempt_at > utcnow() for r in waiting)  # backed off
    # Not due yet: the cron run leaves them.
    assert "sent 0" in runner.invoke(args=["mail", "send-pending"]).output
    mail_server.start()
    make_due(app)
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0 and "sent 2" in result.output, result.output
    assert "sent 0" in runner.invoke(args=["mail", "send-pending"]).output
    assert sorted(r.envelope_to[0] for r in mail_server.wait_for(2)) == sorted(
        [world.operator_a, world.operator_b]
    )
    assert [r.status for r in rows(app)] == [OutboxStatus.SENT, OutboxStatus.SENT]


def test_an_address_the_server_refuses_fails_for_good_and_shows_to_admins(
    app: Flask, world: World, mail_server: SmtpServer, runner: Any
) -> None:
    mail_server.handler.refuse.add(world.operator_a)
    mail_server.handler.defer.add(world.operator_b)
    ask_for_reset(app, world.operator_a)
    ask_for_reset(app, world.operator_b)
    refused, deferred = rows(app)
    assert refused.status is OutboxStatus.FAILED
    assert refused.last_error.startswith("550")
    assert deferred.status is OutboxStatus.PENDING and deferred.last_error.startswith("451")
    make_due(app)
    runner.invoke(args=["mail", "send-pending"])
    refused, deferred = rows(app)
    assert refused.attempts == 1  # never tried again
    assert deferred.attempts == 2
    admin = app.test_client()
    login(admin, world.admin)
    page = admin.get("/admin/mail?status=failed").get_data(as_text=True)
    assert "550 5.1.1 No such user here" in page
    assert world.operator_a in page
    assert "Choose a new password" not in page  # bodies are not shown
    # An admin fixes the address's problem and sends it again.
    mail_server.handler.refuse.clear()
    resent = post_form(admin, f"/admin/mail/{refused.id}/retry", {}, page="/admin/mail")
    resent.close()
    outbox.wait_for_deliveries()
    assert resent.status_code == 302
    assert mail_server.wait_for(1)[0].envelope_to == [world.operator_a]
    assert rows(app)[0].status is OutboxStatus.SENT


def test_after_too_many_temporary_failures_a_message_is_given_up(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    mail_server.handler.defer.add(world.operator_a)
    ask_for_reset(app, world.operator_a)
    for _ in range(outbox.MAX_ATTEMPTS):
        make_due(app)
        with app.app_context():
            outbox.deliver()
    (row,) = rows(app)
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == outbox.MAX_ATTEMPTS
    assert row.last_error.startswith(f"gave up after {outbox.MAX_ATTEMPTS} attempts")


def test_two_senders_that_pick_the_same_messages_never_both_take_one(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    """Found in review: on SQLite the pick takes no lock, so two senders (cron and the
    in-process hand-over) both took row 1. The UPDATE now re-checks that a row is still due and
    returns what it took."""
    from sqlalchemy import orm

    mail_server.stop()
    ask_for_reset(app, world.operator_a)
    make_due(app)
    with app.app_context(), orm.Session(db.engine) as first, orm.Session(db.engine) as second:
        now = utcnow()
        seen_by_second = outbox._candidates(second, None, 10, now)
        second.commit()
        assert len(seen_by_second) == 1
        assert outbox._take(first, "first", outbox._candidates(first, None, 10, now), None, now)
        first.commit()
        assert outbox._take(second, "second", seen_by_second, None, now) == []
        second.commit()


def test_many_senders_at_once_send_each_message_once(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    import threading

    mail_server.stop()
    with app.test_request_context():
        from portal.mail import notices

        for user in db.session.scalars(sa.select(User)):
            for _ in range(4):
                notices.password_changed(user, by_reset=False)
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    outbox.wait_for_deliveries()
    mail_server.start()
    make_due(app)
    start = threading.Barrier(4)

    def sender() -> None:
        start.wait()
        with app.app_context():
            outbox.deliver(limit=7)
            outbox.deliver(limit=7)
            outbox.deliver(limit=100)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    received = mail_server.wait_for(total)
    assert len(received) == total  # every message, and none twice
    assert {r.status for r in rows(app)} == {OutboxStatus.SENT}


def test_a_slow_batch_is_not_sent_twice_when_another_sender_takes_over(
    app: Flask, world: World, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: a batch claimed at once and sent slowly outlived the claim timeout, the
    next sender took the rest over, and both sent them. Claims are now renewed before each
    message and outcomes recorded only by the claim's holder."""
    import threading

    mail_server.stop()
    for email in (world.operator_a, world.operator_b, world.admin):
        ask_for_reset(app, email)
    mail_server.start()
    make_due(app)
    # Longer than one message takes, shorter than the batch (as 10 minutes is to a 10 s send).
    monkeypatch.setattr(outbox, "CLAIM_TIMEOUT", timedelta(seconds=0.8))
    real_send = outbox._send_one

    def slow_send(connection: Any, row: OutboxMessage, *bodies: str) -> tuple[str, str]:
        import time

        time.sleep(0.5)  # a slow relay: the rest of the batch outlives the claim timeout
        return real_send(connection, row, *bodies)

    monkeypatch.setattr(outbox, "_send_one", slow_send)

    def sender() -> None:
        with app.app_context():
            outbox.deliver()

    first = threading.Thread(target=sender)
    first.start()
    import time

    time.sleep(1.0)  # the first sender is on its second message; its third claim has aged
    second = threading.Thread(target=sender)
    second.start()
    first.join(30)
    second.join(30)
    received = mail_server.wait_for(3)
    assert sorted(r.envelope_to[0] for r in received) == sorted(
        [world.operator_a, world.operator_b, world.admin]
    )
    assert {r.status for r in rows(app)} == {OutboxStatus.SENT}


def test_a_login_or_sender_refusal_is_retried_not_failed(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    """Found in review: a 535 (say, the relay's password rotated) failed each message for good."""
    mail_server.handler.refuse_sender = "535 5.7.8 Authentication credentials invalid"
    ask_for_reset(app, world.operator_a)
    (row,) = rows(app)
    assert row.status is OutboxStatus.PENDING
    assert row.last_error.startswith("535")
    mail_server.handler.refuse_sender = ""
    make_due(app)
    with app.app_context():
        assert outbox.deliver()["sent"] == 1


def test_with_redis_a_worker_delivers_the_mail(
    app: Flask,
    world: World,
    mail_server: SmtpServer,
    with_redis: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The request puts a job on the mail queue; a real RQ worker (in this process, on the local
    Redis) builds the app from its environment, as a production worker does, and sends."""
    from rq import Queue

    from portal import worker

    ask_for_reset(app, world.operator_a)
    assert mail_server.wait_for(1, seconds=0.5) == []  # not sent by the web process
    queue = Queue(app.config["MAIL_QUEUE"], connection=with_redis)
    assert queue.count == 1
    (pending,) = rows(app)
    assert pending.status is OutboxStatus.PENDING and pending.attempts == 0
    for name, value in {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PORTAL_INSTANCE_PATH": str(tmp_path),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_server.port),
        "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"],
        "PORTAL_BASE_URL": "http://localhost",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(worker, "_app", None)
    burst_worker([queue], with_redis).work(burst=True)
    (message,) = mail_server.wait_for(1)
    assert message.envelope_to == [world.operator_a]
    assert rows(app)[0].status is OutboxStatus.SENT
    with worker.app().app_context():
        db.engine.dispose()
    monkeypatch.setattr(worker, "_app", None)


def test_a_worker_job_that_meets_an_outage_asks_rq_to_try_again_and_the_retry_sends(
    app: Flask, world: World, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal import worker

    mail_server.stop()
    ask_for_reset(app, world.operator_a)  # (in process: this app has no Redis)
    make_due(app)
    monkeypatch.setattr(worker, "_app", app)
    message_id = rows(app)[0].id
    with pytest.raises(outbox.TemporaryFailure):
        worker.deliver_mail([message_id])
    assert rows(app)[0].status is OutboxStatus.PENDING
    # RQ runs the job again (found in review: the retry found nothing due, backed off, and
    # ended "successfully"): a job's own ids are sent whatever their backoff.
    mail_server.start()
    assert worker.deliver_mail([message_id])["sent"] == 1
    assert rows(app)[0].status is OutboxStatus.SENT


def test_production_refuses_mail_without_a_sender_or_an_https_base_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MAIL_SERVER", "smtp.cyber.state.test")
    with pytest.raises(ConfigError, match="MAIL_DEFAULT_SENDER") as missing_sender:
        create_app()
    assert "\n" not in str(missing_sender.value)
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "portal@cyber.state.test")
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL"):
        create_app()
    monkeypatch.setenv("PORTAL_BASE_URL", "http://portal.cyber.state.test")
    with pytest.raises(ConfigError, match="https"):
        create_app()
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.cyber.state.test/")
    app = create_app()
    assert app.config["PORTAL_BASE_URL"] == "https://portal.cyber.state.test"
    assert app.config["MAIL_BACKEND"] == "smtp"
    # Production has no development Sent mail page.
    assert "devmail.sent_mail" not in {r.endpoint for r in app.url_map.iter_rules()}
    # Without MAIL_SERVER, production sends nothing and needs neither.
    for name in ("MAIL_SERVER", "MAIL_DEFAULT_SENDER", "PORTAL_BASE_URL"):
        monkeypatch.delenv(name)
    assert create_app().config["MAIL_BACKEND"] == "dummy"
    # Nor may production write messages (reset links included) to files or logs.
    for backend in ("file", "console"):
        monkeypatch.setenv("MAIL_BACKEND", backend)
        with pytest.raises(ConfigError, match="writes messages"):
            create_app()


def test_development_shows_sent_mail_with_working_links(
    app: Flask, world: World, tmp_path: Path
) -> None:
    """`make run` without a mail server: messages go to files, and /dev/mail lists them."""
    from portal.extensions import mail

    saved = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_FILE_PATH")}
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_PATH=str(tmp_path / "sent"))
    mail.init_app(app)
    try:
        ask_for_reset(app, world.operator_a)
        page = app.test_client().get("/dev/mail").get_data(as_text=True)
        assert "Reset your Readiness Portal password" in page
        link = re.search(r'href="http://localhost(/password/reset/[A-Za-z0-9_\-]+)"', page)
        assert link, page
        # The link as delivered works (the outbox keeps no secret; the page reads the file).
        assert app.test_client().get(link.group(1)).status_code == 200
        written = list((tmp_path / "sent").iterdir())
        assert (
            len(written) == 1 and "Reset your Readiness Portal password" in written[0].read_text()
        )
    finally:
        app.config.update(saved)
        mail.init_app(app)
    assert os.environ.get("PORTAL_ENV", "development") == "development"


def test_development_with_a_real_mail_server_has_no_sent_mail_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found in review: the page showed live reset links whenever PORTAL_ENV was development,
    the default, even when a real MAIL_SERVER delivered them."""
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.gov")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["PORTAL_ENV"] == "development"
    assert "devmail.sent_mail" not in {r.endpoint for r in app.url_map.iter_rules()}


def test_a_deactivated_operator_gets_no_optional_notice(
    app: Flask, world: World, mail_server: SmtpServer
) -> None:
    from tests.factories import submit_assessment

    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == world.coordinator_x).values(is_active=False)
        )
        db.session.commit()
    submit_assessment(app, world)
    assert mail_server.wait_for(1, seconds=0.5) == []
