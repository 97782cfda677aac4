"""The transactional outbox and its sender.

:func:`queue` adds a message as a row in the current transaction: a change rolled back sends
nothing, a committed one is never forgotten. After the transaction commits, its messages are
delivered — by an RQ job when ``REDIS_URL`` is set (retried with backoff), otherwise in this
process once the response has gone out — and ``flask mail send-pending`` (cron) delivers
whatever is left, so an SMTP outage delays mail and loses none.

A refusal that cannot change (an SMTP 5xx, an invalid address) marks the message failed and it
is not tried again; anything else (the server down, a 4xx) is tried again later, with backoff,
up to :data:`MAX_ATTEMPTS`. Logs name message ids and kinds, never bodies.

Optional notices pass one check of the recipient's preferences here (:func:`queue`): a topic
switched off is not queued, whoever composed the message.

No secret rests in this table. A message with a secret link (a reset, an invitation …) is stored
with a placeholder where the secret goes (:data:`compose.SECRET_MARK`) and the row it is for;
the sender makes a fresh secret for that row just before it sends — with the link's lifetime
counted from then — and puts it into the copy it sends. A link that was used, replaced by a
newer one or withdrawn meanwhile is not sent at all (status *withdrawn*).
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from flask_mailman import EmailMultiAlternatives
from rq import Retry
from sqlalchemy import orm

from portal import jobs
from portal.config import mail_enabled
from portal.extensions import db, mail
from portal.mail import preferences, undeliverable
from portal.mail.compose import Message, SecretLink, one_line
from portal.models import (
    TOKEN_LIFETIMES,
    AccountToken,
    Invitation,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
    User,
    hash_token,
    utcnow,
)

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
    """Add ``message`` to the outbox in the current transaction (None: mail is off, the person
    switched the message's topic off, or a message with this ``dedupe_key`` exists already)."""
    if not mail_enabled(current_app.config):
        return None
    if (
        message.topic is not None
        and user_id is not None
        and preferences.blocked([user_id], message.topic)
    ):
        return None
    if dedupe_key is not None and db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    row = _row(message, user_id, organization_id, dedupe_key)
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_QUEUED, []).append(row.id)
    return row


def queue_many(messages: Iterable[tuple[Message, int | None, int | None]]) -> int:
    """Add (message, user id, organization id) rows in one flush — a notice to thousands of
    organizations is one multi-row INSERT, not thousands. Returns how many (0: mail is off)."""
    if not mail_enabled(current_app.config):
        return 0
    messages = list(messages)
    blocked: set[tuple[str, int]] = set()
    for topic in {m.topic for m, user_id, _ in messages if m.topic is not None}:
        ids = [uid for m, uid, _ in messages if m.topic == topic and uid is not None]
        blocked |= {(topic, uid) for uid in preferences.blocked(ids, topic)}
    rows = [
        _row(message, user_id, org_id, None)
        for message, user_id, org_id in messages
        if message.topic is None or user_id is None or (message.topic, user_id) not in blocked
    ]
    db.session.add_all(rows)
    db.session.flush()
    db.session.info.setdefault(_QUEUED, []).extend(row.id for row in rows)
    return len(rows)


def _row(
    message: Message, user_id: int | None, organization_id: int | None, dedupe_key: str | None
) -> OutboxMessage:
    text, html = message.rendered()
    return OutboxMessage(
        kind=message.kind,
        to_address=message.to,
        subject=one_line(message.subject, 200),
        body_text=text,
        body_html=html,
        unsubscribe_url=message.unsubscribe_url,
        topic=message.topic,
        reply_to=message.reply_to,
        secret_kind=message.secret.kind if message.secret else None,
        secret_ref=message.secret.ref if message.secret else None,
        invitation_id=message.invitation_id,
        user_id=user_id,
        organization_id=organization_id,
        dedupe_key=dedupe_key,
        next_attempt_at=utcnow(),
    )


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
            response.call_on_close(lambda: hand_over(app, ids, in_background=True))
        return response

    @app.teardown_appcontext
    def deliver_after_a_command(error: BaseException | None) -> None:
        # Outside requests (the command line, tests): what is still waiting goes now.
        ids = g.pop("portal_mail_ids", None)
        if ids and error is None:
            hand_over(app, ids)


_workers: set[threading.Thread] = set()


def hand_over(app: Flask, ids: list[int], *, in_background: bool = False) -> None:
    """Deliver ``ids`` through the job queue if there is one, else in this process — in a
    thread of its own after a response, so neither the person waiting nor the next request on
    the connection waits for the mail server (nor can tell from the delay that mail went).
    Never raises: whatever is not delivered now stays pending for the next sender."""
    with app.app_context():
        try:
            queue_ = jobs.queue(current_app.config["MAIL_QUEUE"])
            if queue_ is not None:
                queue_.enqueue_call(
                    # By name: the job builds the app from its environment (portal/worker.py).
                    "portal.worker.deliver_mail",
                    args=(ids,),
                    retry=Retry(max=len(RQ_RETRY_SECONDS), interval=RQ_RETRY_SECONDS),
                    result_ttl=600,
                    failure_ttl=86400,
                    description="mail",
                )
                return
        except Exception as error:  # Redis down: deliver here instead
            log.warning("mail queue unreachable (%s); delivering in process", error)
    if in_background:
        worker = threading.Thread(target=_deliver_quietly, args=(app, ids), daemon=True)
        _workers.add(worker)
        worker.start()
    else:
        _deliver_quietly(app, ids)


def _deliver_quietly(app: Flask, ids: list[int]) -> None:
    try:
        with app.app_context():
            deliver(ids)
    except Exception:
        log.exception("mail delivery failed for messages %s; they stay pending", ids)
    finally:
        _workers.discard(threading.current_thread())


def wait_for_deliveries(timeout: float = 10) -> None:
    """Wait for background deliveries started by responses (tests, and a clean shutdown)."""
    for worker in list(_workers):
        worker.join(timeout)


# --- delivery ---------------------------------------------------------------------------------

# RQ tries a job again at these delays; a job is given explicit ids and sends them whatever
# their own backoff says, so RQ's schedule is the one that counts on the queue.
RQ_RETRY_SECONDS = [30, 60, 120, 300, 900, 1800, 3600]


OUTCOMES = ("sent", "failed", "retry", "withdrawn")


class TemporaryFailure(Exception):
    """Some messages could not be sent yet (RQ retries the job)."""


def deliver(ids: Iterable[int] | None = None, limit: int = 100) -> dict[str, int]:
    """Send pending messages (``ids``, or every one that is due); return counts by outcome.

    Works in a database session of its own (it commits each claim and each outcome), so what the
    caller has not committed stays the caller's. Each message is claimed by this sender alone
    (a random claim token): claims are renewed just before each message is sent, and an outcome
    is recorded only while the claim is still this sender's — so two senders (cron and a
    worker, two workers) never both send one message, even when one of them is slow.
    """
    if not mail_enabled(current_app.config):
        return dict.fromkeys(OUTCOMES, 0)
    token = secrets.token_hex(8)
    counts = dict.fromkeys(OUTCOMES, 0)
    with orm.Session(db.engine, expire_on_commit=False) as session:
        claimed = _claim(session, token, list(ids) if ids is not None else None, limit)
        if not claimed:
            return counts
        connection = mail.get_connection()
        try:
            for row in claimed:
                if not _renew(session, token, row.id):
                    continue  # taken over by another sender: it is theirs now
                if _switched_off(session, row):
                    counts["withdrawn"] += 1
                    _withdraw(session, token, row, "not sent: the person switched these off")
                    continue
                try:
                    bodies = _with_secret(session, row)
                except SecretNotPlaced as refusal:
                    counts["failed"] += 1
                    _record(session, token, row, "failed", f"not sent: {refusal}")
                    continue
                if bodies is None:
                    counts["withdrawn"] += 1
                    _withdraw(session, token, row)
                    continue
                outcome, error = _send_one(connection, row, *bodies)
                counts[outcome] += 1
                _record(session, token, row, outcome, error)
                if outcome == "failed" and row.invitation_id is not None:
                    _tell_the_inviter(session, row, error)
        finally:
            try:
                connection.close()
            except Exception as error:  # the server went away mid-batch: rows are recorded
                log.warning("closing the mail connection failed: %s", type(error).__name__)
    return counts


def _claim(
    session: orm.Session, token: str, ids: list[int] | None, limit: int
) -> list[OutboxMessage]:
    """Mark messages as being sent by ``token`` and return them."""
    now = utcnow()
    taken = _take(session, token, _candidates(session, ids, limit, now), ids, now)
    session.commit()
    if not taken:
        return []
    return list(
        session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.id.in_(taken)).order_by(OutboxMessage.id)
        )
    )


def _due(ids: list[int] | None, now: datetime) -> sa.ColumnElement[bool]:
    """Pending and past its backoff (or any pending one of ``ids``: the job queue keeps its own
    schedule), or claimed by a sender that has not renewed its claim for CLAIM_TIMEOUT."""
    pending = OutboxMessage.status == OutboxStatus.PENDING
    return sa.or_(
        pending if ids is not None else sa.and_(pending, OutboxMessage.next_attempt_at <= now),
        sa.and_(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
        ),
    )


def _candidates(
    session: orm.Session, ids: list[int] | None, limit: int, now: datetime
) -> list[int]:
    pick = sa.select(OutboxMessage.id).where(_due(ids, now)).order_by(OutboxMessage.id).limit(limit)
    if ids is not None:
        pick = pick.where(OutboxMessage.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)  # others skip what this run looks at
    return list(session.scalars(pick))


def _take(
    session: orm.Session, token: str, candidates: list[int], ids: list[int] | None, now: datetime
) -> list[int]:
    """Claim those ``candidates`` that are still due. The UPDATE checks that itself and returns
    what it took, so two senders that picked the same candidates never both get one — on
    SQLite, which has no row locks, as on PostgreSQL."""
    if not candidates:
        return []
    return list(
        session.scalars(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), _due(ids, now))
            .values(status=OutboxStatus.SENDING, claimed_at=now, claim_token=token)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )


def _renew(session: orm.Session, token: str, row_id: int) -> bool:
    """Refresh this sender's claim just before sending; False if it is no longer ours."""
    renewed = session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.claim_token == token,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(renewed.rowcount)  # type: ignore[attr-defined]


# --- secret links: made at delivery --------------------------------------------------------------

_SECRET_ENDPOINTS = {
    "invitation": "auth.accept_invitation",
    "reset_password": "auth.reset_password",
    "set_password": "auth.set_password",
    "confirm_email": "auth.confirm_email",
    "change_email": "auth.confirm_email_change",
}


def _with_secret(session: orm.Session, row: OutboxMessage) -> tuple[str, str] | None:
    """The bodies to send: as stored, or — for a message with a secret link — with a secret made
    now for its row (committed before sending, so the link works as soon as it arrives). None:
    the link was used, replaced or withdrawn while the message waited, so it is not sent."""
    if row.secret_kind is None or row.secret_ref is None:
        return row.body_text, row.body_html
    made = _make_secret(session, row.secret_kind, row.secret_ref)
    if made is None:
        return None
    endpoint, secret = made
    link = SecretLink(row.secret_kind, row.secret_ref, endpoint)
    # By the link's path, not its whole address: a PORTAL_BASE_URL changed while the message
    # waited still finds its place (the address itself is rebuilt from the current one).
    stored, real = link.stored_path, link.url(secret)
    pattern = re.compile(r"https?://[^\s\"'<>]*" + re.escape(stored))
    text, in_text = pattern.subn(real, row.body_text)
    html, in_html = pattern.subn(real, row.body_html)
    if in_text != 1 or in_html < 1:
        raise SecretNotPlaced(f"its link was found {in_text} time(s) in the text")
    return text, html


class SecretNotPlaced(Exception):
    """A message's link could not be put into it: it is not sent (nothing dead goes out)."""


def _make_secret(session: orm.Session, kind: str, ref: int) -> tuple[str, str] | None:
    """(endpoint, a new secret) for the row, whose hash and expiry are replaced; None if the row
    is no longer live."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    if kind == "invitation":
        changed = session.execute(
            sa.update(Invitation)
            .where(
                Invitation.id == ref,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            # The expiry stays as the inviter was told (the page lists it): only the secret
            # is new.
            .values(token_hash=hash_token(secret))
            .execution_options(synchronize_session=False)
        )
        endpoint = _SECRET_ENDPOINTS["invitation"]
    elif kind == "account_token":
        found = session.execute(
            sa.select(AccountToken.purpose)
            .join(User, User.id == AccountToken.user_id)
            .where(AccountToken.id == ref, AccountToken.used_at.is_(None), User.is_active)
        ).first()
        if found is None:
            return None
        purpose = found[0]
        changed = session.execute(
            sa.update(AccountToken)
            .where(AccountToken.id == ref, AccountToken.used_at.is_(None))
            .values(token_hash=hash_token(secret), expires_at=now + TOKEN_LIFETIMES[purpose])
            .execution_options(synchronize_session=False)
        )
        endpoint = _SECRET_ENDPOINTS[purpose.value]
    else:
        log.error("unknown secret kind %r", kind)
        return None
    session.commit()
    if not changed.rowcount:  # type: ignore[attr-defined]
        return None
    return endpoint, secret


def _switched_off(session: orm.Session, row: OutboxMessage) -> bool:
    """An optional notice whose person switched its topic off while it waited."""
    if row.topic is None or row.user_id is None:
        return False
    setting = session.scalar(
        sa.select(NotificationPreference.setting).where(
            NotificationPreference.user_id == row.user_id,
            NotificationPreference.topic == row.topic,
        )
    )
    return setting == "off"


def _withdraw(
    session: orm.Session,
    token: str,
    row: OutboxMessage,
    why: str = "not sent: its link was used, replaced by a newer one or withdrawn while it waited",
) -> None:
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == token)
        .values(
            status=OutboxStatus.WITHDRAWN,
            claimed_at=None,
            claim_token=None,
            last_error=why,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.info("mail %s (%s) withdrawn: %s", row.id, row.kind, why)


def _tell_the_inviter(session: orm.Session, row: OutboxMessage, error: str) -> None:
    """An invitation the receiving server refused for good: its inviter hears why (and the
    organization's page shows it, portal/organizations)."""
    invitation = session.get(Invitation, row.invitation_id)
    if invitation is None or invitation.invited_by is None:
        return
    inviter = invitation.invited_by
    if not inviter.is_active or inviter.email == row.to_address:
        return
    message = undeliverable.invitation_refused(inviter, invitation, error)
    session.add(_row(message, inviter.id, invitation.organization_id, None))
    session.commit()


# --- sending --------------------------------------------------------------------------------------


def message_domain(config: Any) -> str:
    """The domain of the sender address (else of the portal's address), for Message-IDs: a
    message should not name the host it was made on."""
    sender = parseaddr(str(config.get("MAIL_DEFAULT_SENDER") or ""))[1]
    if "@" in sender:
        return sender.rpartition("@")[2]
    return urlsplit(str(config.get("PORTAL_BASE_URL") or "")).hostname or "readiness-portal"


def _send_one(connection: Any, row: OutboxMessage, text: str, html: str) -> tuple[str, str]:
    """("sent" | "failed" | "retry", the error for people to read).

    Only a refusal of this message for good — a 5xx to its recipient or to its content — fails
    it; anything about the connection, the login or our sender address (a rotated password, a
    relay that is down) is tried again, as an outage is."""
    config = current_app.config
    headers = {
        "Auto-Submitted": "auto-generated",
        "Message-ID": make_msgid(domain=message_domain(config)),
    }
    if row.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    reply_to = row.reply_to or config.get("MAIL_REPLY_TO") or ""
    message = EmailMultiAlternatives(
        subject=one_line(row.subject, 200),
        body=text,
        from_email=config["MAIL_DEFAULT_SENDER"],
        to=[row.to_address],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        reason = "; ".join(f"{c} {_decoded(m)}" for c, m in error.recipients.values())
        return ("failed" if codes and min(codes) >= 500 else "retry"), reason
    except smtplib.SMTPDataError as error:
        text = f"{error.smtp_code} {_decoded(error.smtp_error)}"
        return ("failed" if error.smtp_code >= 500 else "retry"), text
    except smtplib.SMTPResponseException as error:  # login, HELO, sender, connect: ours to fix
        return "retry", f"{error.smtp_code} {_decoded(error.smtp_error)}"
    except ValueError as error:  # an address the mail library refuses to write
        return "failed", f"invalid message: {error}"
    except (OSError, smtplib.SMTPException) as error:  # server down, refused, timed out
        return "retry", f"{type(error).__name__}: {error}"
    return "sent", ""


def _decoded(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _record(session: orm.Session, token: str, row: OutboxMessage, outcome: str, error: str) -> None:
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "claimed_at": None,
        "claim_token": None,
        "last_error": error[:500],
    }
    if outcome == "sent":
        values.update(status=OutboxStatus.SENT, sent_at=utcnow())
    elif outcome == "failed" or attempts >= MAX_ATTEMPTS:
        values["status"] = OutboxStatus.FAILED
        if outcome != "failed":
            values["last_error"] = f"gave up after {attempts} attempts: {error}"[:500]
        log.warning("mail %s (%s) failed: %s", row.id, row.kind, values["last_error"])
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=utcnow() + backoff(attempts))
        log.info("mail %s (%s) will be tried again: %s", row.id, row.kind, error[:200])
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … doubling, at most an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def retry_now(row: OutboxMessage) -> None:
    """An admin's "send again": a failed message goes back to pending, due now."""
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = utcnow()
    row.attempts = 0
    db.session.info.setdefault(_QUEUED, []).append(row.id)
