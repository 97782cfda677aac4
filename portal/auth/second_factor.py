"""Second factors: authenticator-app codes (TOTP, RFC 6238) and recovery codes.

- **Enrolment**: a secret is made and shown (QR code drawn as SVG on the server, and as text);
  the factor counts only once a code from the app is typed back. The secret is stored encrypted
  (Fernet) with keys from the configuration (``MFA_SECRET_KEYS``, else derived from
  ``SECRET_KEY``), never in the clear in the database.
- **Codes**: accepted one 30-second step either side of now; each once — a code at or before the
  factor's last accepted step is refused (replay), and the step is taken with a conditional
  update, so two requests racing with one code cannot both win.
- **Recovery codes**: 10 single-use codes of 120 random bits, shown once; stored as SHA-256
  (no key to lose); making new ones voids the old (and the person is told).
- **Sign-in**: after the password, a person with a factor is *pending* (the browser's signed
  session holds who and since when, for :data:`PENDING_FOR`) until a code is given; attempts are
  throttled per account and per client address like passwords.
- **Policy**: roles in ``MFA_REQUIRED_ROLES`` (coordinators and admins by default), and the
  operators of an organization that requires it, enrol before reaching any page with data
  (after ``MFA_ENROL_GRACE_DAYS`` from the account's creation).

Every change and every refusal is audited; adding or removing a factor, new recovery codes and a
recovery code used are told to the person by mail (security messages).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, g, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal import audit
from portal.auth import sessions, throttle
from portal.auth.passwords import verify_password
from portal.extensions import db
from portal.mail import notices
from portal.models import RecoveryCode, Role, SecondFactor, User, UserSession, utcnow

ISSUER = "Readiness Portal"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I to misread
RECOVERY_CODE_LENGTH = 24  # 24 × 5 = 120 random bits each, typed as 6 groups of 4
# Codes refused in a row (the password right each time) before codes are no longer taken at all
# and the person's second factor must be reset (NIST 800-63B 5.2.2: at most 100); the person is
# told by mail when the first throttle limit is reached.
MAX_FAILURES = 100
PENDING_FOR = timedelta(minutes=5)  # from the password to the second factor
ENROLMENT_FOR = timedelta(minutes=15)  # a QR code shown stays the one to scan
# A sensitive action (changing roles, deactivating, creating coordinators, KEV notices, a whole
# jurisdiction's export) needs the person proved this recently: their second factor (at sign-in
# or again), or — for someone who has none yet — their password.
STEP_UP_FOR = timedelta(minutes=15)
_CONFIRMED_AGAIN = "password_confirmed_at"
_PENDING = "second_factor_pending"

SECOND_FACTOR = throttle.Limits(
    "second_factor",
    per_account=5,
    per_address=30,
    message=_l(  # lazy: the language of each request
        "Too many codes tried. For your security, wait 15 minutes and try again, or ask "
        "your administrator to help."
    ),
)


class SecondFactorError(ValueError):
    """A step refused, with a sentence for the person."""


class SecondFactorThrottled(Exception):
    """Too many codes tried for this account or from this address."""


# --- keys and secrets ---------------------------------------------------------------------------


def _fernet() -> MultiFernet:
    keys = list(current_app.config.get("MFA_SECRET_KEYS") or [])
    if not keys:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal second factor secrets"
        ).derive(str(current_app.config["SECRET_KEY"]).encode())
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def _secret_of(factor: SecondFactor) -> str:
    if factor.secret is None:
        raise SecondFactorError(_("This factor has no secret."))
    try:
        return _fernet().decrypt(factor.secret).decode()
    except InvalidToken:
        # The keys changed without the old one kept: this factor can no longer be checked.
        raise SecondFactorError(
            _(
                "This authenticator app can no longer be checked (the portal's keys changed). "
                "Use a recovery code, then add the app again."
            )
        ) from None


def _reencrypt(factor: SecondFactor) -> None:
    """Under the newest of MFA_SECRET_KEYS (a no-op when it is already): after a rotation each
    app moves to the new key at its next use, and the old key can go once all have."""
    if factor.secret is not None:
        factor.secret = _fernet().rotate(factor.secret)


def refused(user: User, stage: str, reason: object = "") -> None:
    """The audit row of a second factor refused for ``user`` at ``stage`` (why, if known)."""
    details: dict[str, Any] = {"stage": stage}
    if reason:
        details["reason"] = str(reason)[:200]
    audit.record(
        "auth.second_factor_refused",
        object_type="User",
        object_id=user.id,
        outcome="denied",
        actor=user,
        **details,
    )


def _code_hash(code: str) -> str:
    """A recovery code as stored: 120 random bits need no salt or slow hash (ASVS 5.0 6.5.2,
    NIST 800-63B 5.1.2.2: at least 112 bits), and no key that a changed SECRET_KEY would lose."""
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


# --- who needs one ------------------------------------------------------------------------------


def confirmed_factors(user: User) -> list[SecondFactor]:
    return list(
        db.session.scalars(
            sa.select(SecondFactor)
            .where(SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_not(None))
            .order_by(SecondFactor.id)
        )
    )


def has_factor(user: User) -> bool:
    return (
        db.session.scalar(
            sa.select(SecondFactor.id)
            .where(SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def required(user: User) -> bool:
    """Whether ``user`` must have a second factor: by role, or by their organization's choice."""
    if user.role.value in current_app.config["MFA_REQUIRED_ROLES"]:
        return True
    return bool(user.role is Role.OPERATOR and user.organization_requires_second_factor)


def must_enrol(user: User) -> bool:
    """Required, past the grace period, and not yet enrolled — checked on every request, so
    the cheap questions first: a login that proved a factor (sessions.proved_second_factor)
    needs no query at all."""
    if sessions.proved_second_factor() or not required(user):
        return False
    grace = timedelta(days=int(current_app.config.get("MFA_ENROL_GRACE_DAYS", 0)))
    if utcnow() - user.created_at < grace:
        return False
    return not has_factor(user)


# --- enrolment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    factor_id: int
    secret: str  # as text, grouped for typing
    uri: str  # otpauth:// for the QR code
    qr_svg: Markup


def start_app_enrolment(user: User) -> Enrolment:
    """The person's authenticator-app secret waiting for its first code: the one shown in the
    last :data:`ENROLMENT_FOR` (a reload, or a link opened from another site, does not void the
    QR code someone is scanning), else a new one (older unconfirmed ones dropped)."""
    recent = db.session.scalar(
        sa.select(SecondFactor)
        .where(
            SecondFactor.user_id == user.id,
            SecondFactor.kind == "totp",
            SecondFactor.confirmed_at.is_(None),
            SecondFactor.created_at > utcnow() - ENROLMENT_FOR,
        )
        .order_by(SecondFactor.id.desc())
        .limit(1)
    )
    if recent is not None:
        return enrolment_of(user, recent)
    db.session.execute(
        sa.delete(SecondFactor).where(
            SecondFactor.user_id == user.id,
            SecondFactor.kind == "totp",
            SecondFactor.confirmed_at.is_(None),
        )
    )
    secret = pyotp.random_base32()
    factor = SecondFactor(
        user_id=user.id,
        kind="totp",
        name="Authenticator app",
        secret=_fernet().encrypt(secret.encode()),
    )
    db.session.add(factor)
    db.session.flush()
    return enrolment_of(user, factor)


def pending_enrolment(user: User, factor_id: int) -> SecondFactor | None:
    factor = db.session.get(SecondFactor, factor_id)
    if factor is None or factor.user_id != user.id or factor.confirmed_at is not None:
        return None
    return factor


def enrolment_of(user: User, factor: SecondFactor) -> Enrolment:
    secret = _secret_of(factor)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title=_("QR code for your authenticator app")
    )
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return Enrolment(factor.id, grouped, uri, Markup(svg))  # noqa: S704 - segno's own SVG


def confirm_app(user: User, factor_id: int, name: str, code: str) -> list[str] | None:
    """Confirm an enrolment with a code from the app. Returns new recovery codes when this is
    the person's first factor (else None). Raises :class:`SecondFactorError`."""
    factor = pending_enrolment(user, factor_id)
    if factor is None:
        raise SecondFactorError(
            _("That enrolment has expired. Start again from your account page.")
        )
    step = _matching_step(factor, code)
    if step is None:
        refused(user, "enrolment")
        raise SecondFactorError(
            _(
                "That code does not match. Type the 6 digits your app shows now (they change "
                "every 30 seconds), and check that your phone's clock is set automatically."
            )
        )
    first = not has_factor(user)
    factor.name = name.strip()[:60] or "Authenticator app"
    factor.confirmed_at = factor.last_used_at = utcnow()
    factor.last_step = step
    audit.record("auth.second_factor_added", object_type="User", object_id=user.id, kind="totp")
    notices.second_factor_changed(user, added=factor.name)
    codes = new_recovery_codes(user) if first or not recovery_codes_left(user) else None
    # Adding a factor needed a step-up already (factor_routes.add_app), so it proves as much.
    mark_proved()
    return codes


def _matching_step(factor: SecondFactor, code: str) -> int | None:
    """The time step ``code`` is valid for (one step either side of now), if it is newer than
    the factor's last accepted one."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(_secret_of(factor))
    now = int(time.time()) // totp.interval
    for step in (now, now - 1, now + 1):
        if factor.last_step is not None and step <= factor.last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


# --- recovery codes -----------------------------------------------------------------------------


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (the old ones void), shown once: only their keyed hashes are kept."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _unused in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _char in range(RECOVERY_CODE_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    audit.record("auth.recovery_codes_made", object_type="User", object_id=user.id)
    notices.recovery_codes_made(user)
    return codes


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


# --- removal ------------------------------------------------------------------------------------


def remove(user: User, factor_id: int) -> None:
    """Remove one of ``user``'s own factors. The last one of a person who must have one stays."""
    factor = db.session.get(SecondFactor, factor_id)
    if factor is None or factor.user_id != user.id:
        refused(user, "removal of a factor not theirs")
        raise SecondFactorError(_("That factor is not one of yours."))
    others = [f for f in confirmed_factors(user) if f.id != factor.id]
    if factor.confirmed_at is not None and not others and required(user):
        raise SecondFactorError(
            _(
                "Your account must keep a second factor. Add another one first, then remove "
                "this one."
            )
        )
    name = factor.name
    db.session.delete(factor)
    if not others:
        db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        "auth.second_factor_removed", object_type="User", object_id=user.id, kind=factor.kind
    )
    notices.second_factor_changed(user, removed=name)


def reset(user: User, *, by: str) -> int:
    """Remove every second factor and recovery code of ``user`` (who lost them) and end their
    logins; they are told by mail. ``by``: who did it, for the audit trail. Returns how many
    factors went. A person who must have one enrols again at their next sign-in."""
    factors = confirmed_factors(user)
    db.session.execute(sa.delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.second_factor_failures = 0
    sessions.revoke_all_sessions(user)
    audit.record(
        "auth.second_factor_reset",
        object_type="User",
        object_id=user.id,
        by=by,
        factors=len(factors),
    )
    notices.second_factor_changed(user, removed=", ".join(f.name for f in factors) or "—")
    return len(factors)


# --- an organization's choice -----------------------------------------------------------------


def set_organization_requirement(organization: Any, require: bool, by: User) -> None:
    """Require (or stop requiring) a second factor of every operator of ``organization``. Only an
    operator who has one may change it: nobody asks of colleagues what they do not do."""
    if not has_factor(by):
        raise SecondFactorError(
            _("Add a second factor to your own account first: then you can require it of everyone.")
        )
    if organization.require_second_factor == require:
        return
    organization.require_second_factor = require
    audit.record_for(
        organization,
        "organization.second_factor_required" if require else "organization.second_factor_optional",
    )
    # Every operator hears it, above all when it is relaxed (a security message).
    notices.organization_second_factor_changed(organization, require=require, by=by)


def members_with_factor(user_ids: list[int]) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(SecondFactor.user_id).where(
                SecondFactor.user_id.in_(user_ids), SecondFactor.confirmed_at.is_not(None)
            )
        )
    )


# --- signing in ---------------------------------------------------------------------------------


def hold(user: User, next_path: str | None) -> None:
    """The password was right and ``user`` has a factor: the browser waits for a code."""
    session.clear()
    session[_PENDING] = {
        "user": user.id,
        "since": time.time(),
        "next": next_path or "",
        # The wait ends with the password it began with: a copy of this cookie is worth nothing
        # once the password changes.
        "password": user.password_changed_at.isoformat(),
    }


def pending() -> tuple[int, str] | None:
    """Whose sign-in this browser holds (their id) and where they were going, read from the
    signed session alone — no query (None when nobody, or when the wait has run out)."""
    held: Any = session.get(_PENDING)
    if not isinstance(held, dict) or time.time() - float(held.get("since", 0)) > (
        PENDING_FOR.total_seconds()
    ):
        return None
    return int(held.get("user", 0)), str(held.get("next") or "")


def pending_user() -> tuple[User, str] | None:
    """The person :func:`pending` names, if their account is still active."""
    held = pending()
    if held is None:
        return None
    user = db.session.get(User, held[0])
    if user is None or not user.is_active:
        return None
    if session.get(_PENDING, {}).get("password") != user.password_changed_at.isoformat():
        return None
    return user, held[1]


def admit(user_id: int, address: str) -> throttle.Attempt:
    """Count a second-factor attempt for the account and the client address, refusing it past
    the limits. Taken before the request's own session reads anything: the throttle's store
    works on a connection of its own, and a request holding one connection while it waits for a
    second would, with enough guesses at once, leave the pool to no one."""
    attempt = throttle.admit(f"user-{user_id}", address, SECOND_FACTOR)
    if attempt is None:
        audit.record(
            "auth.second_factor_throttled", object_type="User", object_id=user_id, outcome="denied"
        )
        raise SecondFactorThrottled(str(SECOND_FACTOR.message))
    return attempt


LOCKED = _l(
    "Too many wrong codes in a row: this account takes no more codes until an administrator "
    "resets its second factor. Ask your administrator."
)


def counted(user: User, succeeded: bool) -> None:
    """Count codes and keys refused in a row after the right password: the person is told when
    someone seems to have their password (at the first throttle limit), and past
    :data:`MAX_FAILURES` codes are no longer taken."""
    if succeeded:
        user.second_factor_failures = 0
        return
    user.second_factor_failures += 1
    if user.second_factor_failures == SECOND_FACTOR.per_account:
        notices.codes_refused_after_password(user, user.second_factor_failures)


def verify(user: User, code: str, address: str, attempt: throttle.Attempt | None = None) -> str:
    """Check a code from the app or a recovery code for ``user``; returns "totp" or
    "recovery_code". ``attempt``: admitted already (:func:`admit`). Raises
    :class:`SecondFactorThrottled` or :class:`SecondFactorError`."""
    attempt = attempt or admit(user.id, address)
    if user.second_factor_failures >= MAX_FAILURES:
        throttle.settle(attempt, succeeded=False)
        raise SecondFactorError(LOCKED)
    used = _check(user, code)
    throttle.settle(attempt, succeeded=used is not None)
    counted(user, used is not None)
    if used is None:
        refused(user, "code")
        raise SecondFactorError(
            _(
                "That code is not right. Type the 6 digits your authenticator app shows now, or "
                "one of your recovery codes."
            )
        )
    return used


def _check(user: User, code: str) -> str | None:
    for factor in confirmed_factors(user):
        if factor.kind != "totp":
            continue
        try:
            step = _matching_step(factor, code)
        except SecondFactorError:  # its secret is unreadable: the others and the codes go on
            continue
        # Taken only if no other request took this step or a later one meanwhile (replay).
        if step is not None and _take_step(factor, step):
            factor.last_used_at = utcnow()
            _reencrypt(factor)
            return "totp"
    if len(_normal(code)) == RECOVERY_CODE_LENGTH:
        taken = db.session.execute(
            sa.update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _code_hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            left = recovery_codes_left(user)
            audit.record(
                "auth.recovery_code_used",
                object_type="User",
                object_id=user.id,
                actor=user,
                left=left,
            )
            notices.recovery_code_used(user, left)
            return "recovery_code"
    return None


def _take_step(factor: SecondFactor, step: int) -> bool:
    taken = db.session.execute(
        sa.update(SecondFactor)
        .where(
            SecondFactor.id == factor.id,
            sa.or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    factor.last_step = step
    return True


def complete_sign_in(user: User, used: str) -> None:
    """The code was right: start the login, proved by a second factor now."""
    session.pop(_PENDING, None)
    sessions.start_session(user)
    mark_proved()
    audit.record(
        "auth.login", object_type="User", object_id=user.id, actor=user, second_factor=used
    )


def recently_proved(user: User) -> bool:
    """Whether this login proved who it is within :data:`STEP_UP_FOR` (see above)."""
    now = utcnow()
    if has_factor(user):
        proved = g.get("login_second_factor_at")
        return proved is not None and now - proved < STEP_UP_FOR
    started = g.get("login_started_at")
    confirmed = session.get(_CONFIRMED_AGAIN)
    latest = max(
        started.timestamp() if started is not None else 0.0,
        float(confirmed) if isinstance(confirmed, (int, float)) else 0.0,
    )
    return now.timestamp() - latest < STEP_UP_FOR.total_seconds()


def confirm_with_password(user: User, password: str, address: str) -> None:
    """The step-up of someone without a second factor: the password again (throttled like a
    sign-in). Raises :class:`SecondFactorThrottled` or :class:`SecondFactorError`."""
    attempt = throttle.admit(user.email, address)
    if attempt is None:
        raise SecondFactorThrottled(str(throttle.MESSAGE))
    ok = verify_password(user.password_hash, password)
    throttle.settle(attempt, succeeded=ok)
    if not ok:
        audit.record(
            "auth.step_up_refused", object_type="User", object_id=user.id, outcome="denied"
        )
        raise SecondFactorError(_("That is not your password."))
    session[_CONFIRMED_AGAIN] = time.time()
    audit.record("auth.step_up", object_type="User", object_id=user.id, proof="password")


def step_up(user: User, code: str, address: str) -> None:
    """The step-up of someone with a second factor: a code again (or a recovery code)."""
    proved_again(user, verify(user, code, address))


def proved_again(user: User, used: str) -> None:
    """``user`` proved their second factor (``used``) again for a sensitive action."""
    mark_proved()
    audit.record("auth.step_up", object_type="User", object_id=user.id, proof=used)


def mark_proved() -> None:
    """This login proved a second factor now (sign-in, enrolment, a step-up)."""
    token = sessions.current_token()
    g.login_second_factor_at = utcnow()
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == UserSession.hash_token(token))
            .values(second_factor_at=utcnow())
        )
