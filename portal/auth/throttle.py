"""Throttling of sign-in (and of other actions that must not be repeated at will, such as
registration: see :class:`Limits`), shared by every app process: in Redis when ``REDIS_URL`` is
set, else in the database.

Rules: at most :data:`MAX_PER_ACCOUNT` failed attempts per email address and
:data:`MAX_PER_ADDRESS` per client address in :data:`WINDOW` (a moving window); a successful
sign-in clears the account's count and does not count for the address (an office of colleagues
behind one address must not lock itself out); past a limit, sign-in is refused for the rest of
the window — with the same message whether or not the account exists.

The counts are a gate, not a check: :func:`admit` counts the attempt *before* the password is
verified and refuses it if that passes a limit, so guesses sent in parallel cannot all slip past
counts that none of them has raised yet. :func:`settle` then records the outcome (a success
clears the account and takes its attempt off the address).

In Redis each count is a sorted set of attempt ids scored by time, and admitting is one Lua
script over both (atomic in Redis). The ``limits`` library (behind Flask-Limiter) was used
before; it cannot take a single success back off the address count, which the rule above
needs. If Redis cannot be reached, the database store takes over for that request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from portal import jobs
from portal.extensions import db
from portal.models import LoginAttempt, utcnow

log = logging.getLogger(__name__)
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 30
# Lazy: each refusal is read in the language of its request.
MESSAGE = _l(
    "Too many sign-in attempts. For your security, wait 15 minutes and try again, or ask "
    "your administrator to help."
)


@dataclass(frozen=True)
class Limits:
    """One throttled action: its counts are kept apart from every other action's."""

    purpose: str
    per_account: int
    per_address: int
    message: Any  # a lazy text: read in each request's language


SIGN_IN = Limits("sign_in", MAX_PER_ACCOUNT, MAX_PER_ADDRESS, MESSAGE)
# A reset link goes to the account's own address, but a burst of requests must not flood it:
# the same answer is given when refused, so the limit says nothing about whether it exists.
# The account's limit is what protects an inbox; the address's is far higher, because a
# hospital or a bank puts all its staff behind one address (NAT) and one person's resets
# must not use up everyone's. A refusal is audited with the limit that refused it.
PASSWORD_RESET = Limits(
    "reset",
    per_account=3,
    per_address=60,
    message="",  # never shown: the page answers the same whether the link went or not
)
# Mail a person can make the portal send to an address: a confirmation link again, a link to a
# new address. Limited so that nobody can use the portal to flood someone's inbox.
CONFIRMATION_MAIL = Limits(
    "confirm_mail",
    per_account=3,
    per_address=10,
    message=_l("We have just sent several links. Wait 15 minutes before asking for another."),
)
# Each registration costs a slow password hash and answers whether an email or a name is taken;
# an honest office registers one organization, so every attempt counts (none is settled).
REGISTRATION = Limits(
    "register",
    per_account=3,
    per_address=10,
    message=_l(
        "Too many registrations from here in a short time. For your security, wait 15 "
        "minutes and try again, or ask your state coordinator to add your organization."
    ),
)


def email_key(email: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """An attempt that was admitted; :func:`settle` records how it ended."""

    email: str
    ip_address: str
    row_id: int | None = None  # the database store's row
    token: str | None = None  # the attempt's id in the Redis counts
    limits: Limits = SIGN_IN


def _failures_since(
    connection: sa.Connection,
    column: orm.InstrumentedAttribute[str],
    value: str,
    purpose: str,
    *,
    reset_by_success: bool = True,
) -> int:
    """Failures within the window (and, for an account, after its last success)."""
    since = utcnow() - WINDOW
    mine = (column == value, LoginAttempt.purpose == purpose, LoginAttempt.at >= since)
    last_success = (
        sa.select(sa.func.max(LoginAttempt.at))
        .where(*mine, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    conditions = [*mine, LoginAttempt.succeeded.is_(False)]
    if reset_by_success:
        conditions.append(sa.or_(last_success.is_(None), LoginAttempt.at > last_success))
    return connection.scalar(sa.select(sa.func.count(LoginAttempt.id)).where(*conditions)) or 0


def admit(email: str, ip_address: str, limits: Limits = SIGN_IN) -> Attempt | None:
    """Count this attempt and say whether it may go on to the password check (None: refused)."""
    return admit_or_refusal(email, ip_address, limits)[0]


def admit_or_refusal(
    email: str, ip_address: str, limits: Limits = SIGN_IN
) -> tuple[Attempt | None, str]:
    """As :func:`admit`, with which count refused it: "account" or "address" ("" if admitted)."""
    client = jobs.redis()
    if client is not None:
        try:
            token = secrets.token_hex(8)
            window_ms = int(WINDOW.total_seconds() * 1000)
            full = client.eval(
                _ADMIT_SCRIPT,
                2,
                _account_key(limits, email),
                _address_key(limits, ip_address),
                int(time.time() * 1000),
                window_ms,
                token,
                limits.per_account,
                limits.per_address,
            )
            if full:
                return None, ("account", "address")[int(full) - 1]
            return Attempt(email, ip_address, None, token, limits), ""
        except jobs.REDIS_UNAVAILABLE as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    return _admit_in_database(email, ip_address, limits)


# Drop entries older than the window from each count (KEYS), refuse if any count is at its limit
# (ARGV[4…]; the answer is the position of the first full count), else add this attempt (ARGV[3])
# to every count and answer 0. A refused attempt is not added: the window ends on time however
# long someone keeps trying.
_ADMIT_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, #KEYS do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window) end
for i = 1, #KEYS do
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[3 + i]) then return i end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[i], window)
end
return 0
"""


def _account_key(limits: Limits, email: str) -> str:
    prefix = current_app.config["THROTTLE_KEY_PREFIX"]
    return f"{prefix}:{limits.purpose}:account:{email_key(email)}"


def _address_key(limits: Limits, ip_address: str) -> str:
    return f"{current_app.config['THROTTLE_KEY_PREFIX']}:{limits.purpose}:address:{ip_address}"


def _admit_in_database(email: str, ip_address: str, limits: Limits) -> tuple[Attempt | None, str]:
    # The attempt is written and committed on its own connection first (it must count even if
    # the request fails later), then counted. Of N parallel attempts the k-th to commit counts
    # at least k rows, so no more than the limit are ever admitted.
    key = email_key(email)
    with db.engine.begin() as connection:
        row_id = connection.scalar(
            sa.insert(LoginAttempt)
            .values(
                email_key=key,
                ip_address=ip_address,
                purpose=limits.purpose,
                succeeded=False,
                at=utcnow(),
            )
            .returning(LoginAttempt.id)
        )
    with db.engine.begin() as connection:
        refused = ""
        if (
            _failures_since(connection, LoginAttempt.email_key, key, limits.purpose)
            > limits.per_account
        ):
            refused = "account"
        # A success does not reset an address: else one valid account would let an attacker
        # reset the per-address limit every 29 guesses at other accounts.
        elif (
            _failures_since(
                connection,
                LoginAttempt.ip_address,
                ip_address,
                limits.purpose,
                reset_by_success=False,
            )
            > limits.per_address
        ):
            refused = "address"
        if refused:
            # A refused attempt does not count (as in Redis): the window ends on time for the
            # account's owner however long someone keeps guessing.
            connection.execute(sa.delete(LoginAttempt).where(LoginAttempt.id == row_id))
            return None, refused
    return Attempt(email, ip_address, row_id, None, limits), ""


def settle(attempt: Attempt, succeeded: bool) -> None:
    """Record how an admitted attempt ended, within the request's transaction."""
    if attempt.token is not None:
        client = jobs.redis()
        try:
            if succeeded and client is not None:
                pipe = client.pipeline()  # (MULTI/EXEC: both or neither)
                pipe.delete(_account_key(attempt.limits, attempt.email))
                pipe.zrem(_address_key(attempt.limits, attempt.ip_address), attempt.token)
                pipe.execute()
            return  # a failure was counted when it was admitted
        except jobs.REDIS_UNAVAILABLE as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    if attempt.row_id is None:
        # Admitted by Redis, which then went away: keep the outcome in the database.
        db.session.add(
            LoginAttempt(
                email_key=email_key(attempt.email),
                ip_address=attempt.ip_address,
                purpose=attempt.limits.purpose,
                succeeded=succeeded,
            )
        )
    elif succeeded:
        db.session.execute(
            sa.update(LoginAttempt).where(LoginAttempt.id == attempt.row_id).values(succeeded=True)
        )
    if not succeeded:
        # Old rows are useless for throttling; drop them now and then (cheap, indexed on `at`).
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < utcnow() - RETENTION))


# --- quotas: several counts over a longer window (invitations) -----------------------------------

RETENTION = timedelta(days=2)  # rows older than every window, dropped now and then


@dataclass(frozen=True)
class Quota:
    """An action counted under several names at once (the person, their organization, the
    address it goes to), each with its own limit over ``window``."""

    purpose: str
    window: timedelta
    limits: dict[str, int]  # what is counted ("person", …) → how many per window
    message: Any  # a lazy text: read in each request's language


# Invitations send mail to an address someone typed: limited per inviter, per organization and
# per recipient, so that no account (a self-registered one least of all) can use the portal to
# send many messages, or many to one person.
# "recipient" counts an address within one organization (so nobody elsewhere can use up an
# organization's invitations to its own colleague); "address" counts it across all of them.
INVITATIONS = Quota(
    "invite",
    timedelta(days=1),
    {"person": 10, "organization": 20, "recipient": 3, "address": 10},
    _l(
        "That is as many invitations as we send in a day — from one person, from one "
        "organization or to one address. Try again tomorrow, or ask your state coordinator to "
        "add your colleague."
    ),
)


def take(quota: Quota, keys: dict[str, str]) -> str | None:
    """Count one action under each of ``keys`` (what is counted → its value); None when it is
    admitted, else the name of the first count that was full (nothing is counted then)."""
    names = list(quota.limits)
    hashed = [email_key(f"{name}:{keys[name]}") for name in names]
    client = jobs.redis()
    if client is not None:
        try:
            prefix = f"{current_app.config['THROTTLE_KEY_PREFIX']}:{quota.purpose}"
            full = client.eval(
                _ADMIT_SCRIPT,
                len(names),
                *(f"{prefix}:{h}" for h in hashed),
                int(time.time() * 1000),
                int(quota.window.total_seconds() * 1000),
                secrets.token_hex(8),
                *(quota.limits[name] for name in names),
            )
            return names[int(full) - 1] if full else None
        except jobs.REDIS_UNAVAILABLE as error:
            log.warning("throttle store in Redis unreachable (%s); using the database", error)
    return _take_in_database(quota, names, hashed)


def _take_in_database(quota: Quota, names: list[str], hashed: list[str]) -> str | None:
    # As for sign-in: written and committed first, then counted, so of N parallel actions the
    # k-th to commit counts at least k rows and no more than the limit are admitted.
    now = utcnow()
    with db.engine.begin() as connection:
        ids = [
            connection.scalar(
                sa.insert(LoginAttempt)
                .values(email_key=h, ip_address="-", purpose=quota.purpose, at=now)
                .returning(LoginAttempt.id)
            )
            for h in hashed
        ]
    with db.engine.begin() as connection:
        since = now - quota.window
        for name, h in zip(names, hashed, strict=True):
            count = connection.scalar(
                sa.select(sa.func.count(LoginAttempt.id)).where(
                    LoginAttempt.email_key == h,
                    LoginAttempt.purpose == quota.purpose,
                    LoginAttempt.at >= since,
                )
            )
            if (count or 0) > quota.limits[name]:
                connection.execute(sa.delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
                return name
        connection.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - RETENTION))
    return None
