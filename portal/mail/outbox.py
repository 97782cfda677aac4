"""The transactional outbox and its sender.

:func:`queue` adds a message as a row in the current transaction: a change rolled back sends
nothing, a committed one is never forgotten. After the transaction commits, its messages are
delivered — by an RQ job when ``REDIS_URL`` is set (retried with backoff), otherwise in this
process once the response has gone out — and ``flask mail send-pending`` (cron) delivers
whatever is left, so an SMTP outage delays mail and loses none.

A refusal that cannot change (an SMTP 5xx, an invalid address) marks the message failed and it
is not tried again; anything else (the server down, a 4xx) is tried again later, with backoff,
up to :data:`MAX_ATTEMPTS`. Logs name message ids and kinds, never bodies.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from flask_mailman import EmailMultiAlternatives
from rq import Retry
from sqlalchemy import orm

from portal import jobs
from portal.config import mail_enabled
from portal.extensions import db, mail
from portal.mail.compose import Message, one_line
from portal.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12  # with the backoff below: about a day of trying
CLAIM_TIMEOUT = timedelta(minutes=10)  # a sender that died mid-batch: its rows go back
_QUEUED = "portal.mail_queued"


def queue(
    message: Message,
    *,
    user_id: int | None = None,
    organization_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add ``message`` to the outbox in the current transaction (None: mail is off, or a message
    with this ``dedupe_key`` exists already)."""
    if not mail_enabled(current_app.config):
        return None
    if dedupe_key is not None and db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    text, html = message.rendered()
    row = OutboxMessage(
        kind=message.kind,
        to_address=message.to,
        subject=one_line(message.subject, 200),
        body_text=text,
        body_html=html,
        unsubscribe_url=message.unsubscribe_url,
        user_id=user_id,
        organization_id=organization_id,
        dedupe_key=dedupe_key,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_QUEUED, []).append(row.id)
    return row


# --- after commit: hand the new messages to a sender --------------------------------------------


@sa.event.listens_for(orm.Session, "after_commit")
def _after_commit(session: orm.Session) -> None:
    ids = session.info.pop(_QUEUED, None)
    if not ids or not has_app_context():
        return
    # No SQL may run inside this hook; the sender runs once the response has gone out (or at
    # the end of the command).
    g.setdefault("portal_mail_ids", []).extend(ids)


@sa.event.listens_for(orm.Session, "after_rollback")
def _after_rollback(session: orm.Session) -> None:
    session.info.pop(_QUEUED, None)


def init_app(app: Flask) -> None:
    @app.after_request
    def deliver_after_the_response(response: Any) -> Any:
        ids = g.pop("portal_mail_ids", None)
        if ids:
            response.call_on_close(lambda: hand_over(app, ids))
        return response

    @app.teardown_appcontext
    def deliver_after_a_command(error: BaseException | None) -> None:
        # Outside requests (the command line, tests): what is still waiting goes now.
        ids = g.pop("portal_mail_ids", None)
        if ids and error is None:
            hand_over(app, ids)


def hand_over(app: Flask, ids: list[int]) -> None:
    """Deliver ``ids`` through the job queue if there is one, else right here. Never raises:
    whatever is not delivered now stays pending for the next sender."""
    with app.app_context():
        try:
            queue_ = jobs.queue(current_app.config["MAIL_QUEUE"])
            if queue_ is not None:
                queue_.enqueue_call(
                    # By name: the job builds the app from its environment (portal/worker.py).
                    "portal.worker.deliver_mail",
                    args=(ids,),
                    retry=Retry(max=5, interval=[10, 30, 60, 300, 900]),
                    result_ttl=600,
                    failure_ttl=86400,
                    description="mail",
                )
                return
        except Exception as error:  # Redis down: deliver here instead
            log.warning("mail queue unreachable (%s); delivering in process", error)
        try:
            deliver(ids)
        except Exception:
            log.exception("mail delivery failed for messages %s; they stay pending", ids)
        finally:
            db.session.remove()


# --- delivery ---------------------------------------------------------------------------------


class TemporaryFailure(Exception):
    """Some messages could not be sent yet (RQ retries the job)."""


def deliver(ids: Iterable[int] | None = None, limit: int = 200) -> dict[str, int]:
    """Send pending messages (``ids``, or every one that is due); return counts by outcome.

    Commits as it goes (each claim and each outcome), so call it outside a request's work."""
    claimed = _claim(list(ids) if ids is not None else None, limit)
    counts = {"sent": 0, "failed": 0, "retry": 0}
    if not claimed:
        return counts
    connection = mail.get_connection()
    try:
        for row in claimed:
            outcome, error = _send_one(connection, row)
            counts[outcome] += 1
            _record(row.id, outcome, error)
    finally:
        try:
            connection.close()
        except Exception as error:  # the server went away mid-batch: the rows are recorded
            log.warning("closing the mail connection failed: %s", type(error).__name__)
    return counts


def _claim(ids: list[int] | None, limit: int) -> list[OutboxMessage]:
    """Mark due messages as being sent, in a transaction of their own, so two senders never
    take the same one; a claim older than :data:`CLAIM_TIMEOUT` is taken over."""
    now = utcnow()
    due = sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
        ),
    )
    pick = sa.select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
    if ids is not None:
        pick = pick.where(OutboxMessage.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    chosen = list(db.session.scalars(pick))
    if chosen:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen))
            .values(status=OutboxStatus.SENDING, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    if not chosen:
        return []
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id.in_(chosen)).order_by(OutboxMessage.id)
    )
    return list(rows)


def _send_one(connection: Any, row: OutboxMessage) -> tuple[str, str]:
    """("sent" | "failed" | "retry", the error for people to read)."""
    headers = {"Auto-Submitted": "auto-generated"}
    if row.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=one_line(row.subject, 200),
        body=row.body_text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[row.to_address],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(row.body_html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        reason = "; ".join(
            f"{c} {m.decode(errors='replace')}" for c, m in error.recipients.values()
        )
        return ("failed" if codes and min(codes) >= 500 else "retry"), reason
    except smtplib.SMTPResponseException as error:
        text = f"{error.smtp_code} {_decoded(error.smtp_error)}"
        # A 5xx about the message or its address will not change; one about our sender or the
        # connection might (a misconfiguration an admin fixes), so that is tried again.
        permanent = error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPSenderRefused)
        return ("failed" if permanent else "retry"), text
    except ValueError as error:  # an address the mail library refuses to write
        return "failed", f"invalid message: {error}"
    except (OSError, smtplib.SMTPException) as error:  # server down, refused, timed out
        return "retry", f"{type(error).__name__}: {error}"
    return "sent", ""


def _decoded(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _record(row_id: int, outcome: str, error: str) -> None:
    row = db.session.get(OutboxMessage, row_id)
    assert row is not None
    row.attempts += 1
    row.claimed_at = None
    row.last_error = error[:500]
    if outcome == "sent":
        row.status, row.sent_at = OutboxStatus.SENT, utcnow()
    elif outcome == "failed" or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        if outcome != "failed":
            row.last_error = f"gave up after {row.attempts} attempts: {error}"[:500]
        log.warning("mail %s (%s) failed: %s", row.id, row.kind, row.last_error)
    else:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = utcnow() + backoff(row.attempts)
        log.info("mail %s (%s) will be tried again: %s", row.id, row.kind, error[:200])
    db.session.commit()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … doubling, at most an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def retry_now(row: OutboxMessage) -> None:
    """An admin's "send again": a failed message goes back to pending, due now."""
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = utcnow()
    row.attempts = 0
    db.session.info.setdefault(_QUEUED, []).append(row.id)
